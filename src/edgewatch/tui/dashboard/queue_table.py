"""The queue table: one row per queue URL, a row re-rendered only when one of its cells changed.

Following dolphie, a poll does not rebuild the table: each cell's (text, style) is compared with
what is on screen and only rows whose cells differ are rendered again. That keeps the cursor,
the scroll position and the terminal traffic steady all day, and the idle CPU low: with live
traffic some cell changes on every poll, and re-rendering every visible row each time (what
``DataTable.update_cell`` does: its render caches are keyed by a table-wide update counter) was
most of the console's idle CPU.

So the table is a line-API widget of its own (as the log view is): one cached strip per row,
dropped when that row changes, when the cursor enters or leaves it, or when the styles change
(focus, theme, size). It draws like the ``DataTable`` it replaced: a bold header on ``$panel``,
one cell of padding each side of a column, a row cursor whose background is the theme's and
whose foreground is the cell's own (threshold colours stay readable on the highlighted row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.padding import Padding
from rich.segment import Segment as RichSegment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme

from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape, safe
from edgewatch.metrics.models import History, QueueStatus
from edgewatch.tui.common.palette import Palette

# A cell is a tuple of (text, style) segments: hashable and comparable, unlike rich Text whose
# equality ignores its base style (a colour change would go unnoticed).
Segment = tuple[str, str]
Cell = tuple[Segment, ...]
Justify = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    justify: Justify = "left"


@dataclass(frozen=True, slots=True)
class Layout:
    """Which columns fit: the wide one at ≥ 100 cells, the compact one below (80x24)."""

    name: str
    columns: tuple[Column, ...]

    def width_of(self, key: str) -> int:
        return next((c.width for c in self.columns if c.key == key), 0)

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def fitted(self, width: int, names: int | None = None) -> Layout:
        """This layout widened to ``width`` cells: the spare goes to the queue name, then to the
        DLQ name (each up to what SQS's longest name needs), so wide terminals stop cutting them.
        ``names``: the longest queue name watched; the name columns grow no wider than that.
        """
        spare = width - sum(c.width + 2 * CELL_PADDING for c in self.columns) - SCROLLBAR
        columns = []
        for column in self.columns:
            cap = NAME_CAPS.get(column.key)
            if cap is not None and names is not None:
                cap = min(cap, names + (len(DLQ_TAG) if column.key == "queue" else 0))
            if cap is not None and spare > 0 and column.width < cap:
                extra = min(spare, cap - column.width)
                spare -= extra
                column = Column(column.key, column.label, column.width + extra, column.justify)
            columns.append(column)
        return Layout(self.name, tuple(columns))


WIDE = Layout(
    "wide",
    (
        Column("queue", "Queue", 22),
        Column("visible", "Visible", 7, "right"),
        Column("in_flight", "In flight", 9, "right"),
        Column("delayed", "Delayed", 7, "right"),
        Column("age", "Oldest age", 10, "right"),
        Column("dlq", "DLQ", 16),
        Column("dlq_age", "DLQ age", 7, "right"),
        Column("trend", "Trend", 8),
        Column("state", "State", 12),
    ),
)
COMPACT = Layout(
    "compact",
    (
        Column("queue", "Queue", 16),
        Column("visible", "Visible", 7, "right"),
        Column("in_flight", "In flt", 6, "right"),
        Column("age", "Age", 7, "right"),
        Column("dlq", "DLQ", 15),  # room for a "-dlq.fifo" tail after a few leading characters
        Column("trend", "Trend", 6),
        Column("state", "State", 7),
    ),
)
COMPACT_BELOW = 100
CELL_PADDING = 1  # cells each side of a column, as a DataTable pads them
HEADER = "\0header"  # the header row's key in the strip cache (no queue URL is this)
DLQ_TAG = " DLQ"
SCROLLBAR = 2  # kept free for the table's vertical scrollbar
# SQS names are at most 80 characters; the queue cell adds " DLQ", the DLQ cell " " and a depth.
NAME_CAPS = {"queue": 80 + len(DLQ_TAG), "dlq": 80 + 8}


def row_key(status: QueueStatus) -> str:
    """Rows are keyed by queue URL (the name when the URL could not be resolved)."""
    return status.url or status.name


def row_cells(
    q: QueueStatus,
    history: History,
    palette: Palette,
    layout: Layout,
    extra: Mapping[str, Cell] | None = None,
) -> dict[str, Cell]:
    """Everything one row shows, as comparable cells (pure: no widget access).

    ``extra`` supplies the cells of columns this module does not compute (the fleet's place,
    freshness and forecast columns)."""
    number_style = palette.muted if q.stale or q.error else ""

    def number(value: int | None, level_style: str = "") -> Cell:
        if value is None:
            return ((fmt.UNKNOWN, palette.muted),)
        return ((fmt.count(value), level_style or number_style),)

    name_width = layout.width_of("queue")
    if q.is_dlq:
        queue: Cell = (
            (fmt.truncate_middle(q.name, name_width - len(DLQ_TAG)), ""),
            (DLQ_TAG, f"bold {palette.accent}"),
        )
    else:
        queue = ((fmt.truncate_middle(q.name, name_width), ""),)

    if q.oldest_age_s is None:
        age: Cell = (("n/a", palette.muted),)
    else:
        age = ((fmt.humanise_age(q.oldest_age_s), palette.level(q.age_level)),)

    if q.dlq is None:
        dlq: Cell = ((fmt.UNKNOWN, palette.muted),)
        dlq_age: Cell = ((fmt.UNKNOWN, palette.muted),)
    else:
        held = q.dlq.held  # in flight too: a browsed DLQ still holds its messages
        depth = fmt.count(held) if held is not None else "?"
        name = fmt.truncate_middle(q.dlq.name, layout.width_of("dlq") - len(depth) - 1)
        dlq = ((f"{name} ", palette.muted if q.dlq_level == "ok" else ""),)
        dlq += ((depth, palette.level(q.dlq_level)),)
        if q.dlq.oldest_age_s is None:
            dlq_age = (("n/a", palette.muted),)
        else:
            dlq_age = ((fmt.humanise_age(q.dlq.oldest_age_s), ""),)

    trend_width = layout.width_of("trend")
    trend: Cell = ()
    if trend_width:  # a sparkline costs a copy of the series: only where it is shown
        trend = (
            (fmt.sparkline(history.series(row_key(q), "visible"), trend_width), palette.accent),
        )

    state_width = layout.width_of("state")
    if q.error:
        state: Cell = ((fmt.truncate(q.error, state_width), f"bold {palette.crit}"),)
    elif q.stale:
        state = (("stale", palette.warn),)
    elif q.visible is None:
        state = (("waiting", palette.muted),)
    elif q.level != "ok":
        state = ((q.level, palette.level(q.level)),)
    else:
        state = (("ok", palette.ok),)

    cells = {
        "queue": queue,
        "visible": number(q.visible, palette.level(q.depth_level)),
        "in_flight": number(q.in_flight),
        "delayed": number(q.delayed),
        "age": age,
        "dlq": dlq,
        "dlq_age": dlq_age,
        "trend": trend,
        "state": state,
    }
    if extra:
        cells.update(extra)
    return {c.key: cells.get(c.key, ((fmt.UNKNOWN, palette.muted),)) for c in layout.columns}


class QueueTable(ScrollView, can_focus=True):
    """Follows a sequence of ``QueueStatus`` in place; the header stays, the rows scroll."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"queue-table--header", "queue-table--cursor"}
    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .queue-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .queue-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .queue-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .queue-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another queue (``key``: its row key, None when empty)."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.layout_spec: Layout = WIDE
        self._cells: dict[str, dict[str, Cell]] = {}
        self._texts: dict[str, list[Text]] = {}  # what each row shows, built from its cells
        self._justify: dict[str, Justify] = {}
        self._source: tuple[Sequence[QueueStatus], History, Palette] | None = None
        self._extra: Mapping[str, Mapping[str, Cell]] = {}
        # Cells by row for the status objects last shown: a keystroke re-arranges, not re-reads.
        self._memo: dict[str, tuple[QueueStatus, object, dict[str, Cell]]] = {}
        self._memo_for: tuple[object, ...] = ()
        self._strips: dict[tuple[str, bool], Strip] = {}  # (row key, under cursor) -> its line
        self.cursor_row = 0
        self.renders = 0  # rows rendered so far (tests check that an unchanged row is not)

    # -- reading -------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._cells)

    @property
    def highlighted_key(self) -> str | None:
        """The queue key under the cursor, if any."""
        keys = self.keys
        return keys[self.cursor_row] if 0 <= self.cursor_row < len(keys) else None

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._cells)

    @property
    def column_keys(self) -> list[str]:
        """The columns shown, in order (they follow the layout)."""
        return [c.key for c in self.layout_spec.columns]

    def visible_keys(self) -> list[str]:
        """Row keys of the rows on screen now (the fleet poller reads these first)."""
        top = round(self.scroll_y)
        return self.keys[top : top + self._rows_on_screen()]

    def get_cell(self, key: str, column: str) -> Text:
        """What the cell of queue ``key`` in ``column`` shows."""
        return self._texts[key][self.column_keys.index(column)]

    # -- updating ------------------------------------------------------------------------------

    def set_layout(self, layout: Layout) -> None:
        """Switch column sets (on resize); rebuilds once, keeping the highlighted queue."""
        if layout == self.layout_spec and self._justify:
            return
        self.layout_spec = layout
        self._rebuild()

    def show(
        self,
        statuses: Sequence[QueueStatus],
        history: History,
        palette: Palette,
        extra: Mapping[str, Mapping[str, Cell]] | None = None,
    ) -> None:
        """Bring the table to ``statuses``: changed rows only; rows added/removed as needed.

        ``extra``: per row key, cells of columns computed elsewhere (see :func:`row_cells`)."""
        self._source = (statuses, history, palette)
        self._extra = extra or {}
        layout = self.layout_spec
        new: dict[str, dict[str, Cell]] = {}
        memo = self._memo if self._memo_for == (history, palette, layout) else {}
        fresh: dict[str, tuple[QueueStatus, object, dict[str, Cell]]] = {}
        for q in statuses:
            key = row_key(q)
            if key in new:
                continue
            extra_row = self._extra.get(key)
            hit = memo.get(key)
            if hit is not None and hit[0] is q and hit[1] is extra_row:
                cells = hit[2]  # the same status object: a re-sort or a filter keystroke
            else:
                cells = row_cells(q, history, palette, layout, extra_row)
            new[key] = cells
            fresh[key] = (q, extra_row, cells)
        self._memo, self._memo_for = fresh, (history, palette, layout)
        if not self._justify:
            self._justify = {c.key: c.justify for c in layout.columns}
        old_order = [k for k in self._cells if k in new]
        kept_in_new_order = [k for k in new if k in self._cells]
        appended_only = list(new)[: len(kept_in_new_order)] == kept_in_new_order
        if old_order != kept_in_new_order or not appended_only:
            self._rebuild(new)
            return
        highlighted = self.highlighted_key
        removed = [k for k in self._cells if k not in new]
        for key in removed:
            del self._cells[key]
            del self._texts[key]
        changed_rows = []
        for key, cells in new.items():
            if self._cells.get(key) != cells:
                self._set_row(key, cells)
                changed_rows.append(key)
        if removed or len(new) != len(kept_in_new_order):  # rows moved or appeared
            self._strips.clear()
            self._resized()
            # The cursor follows its queue, not its row index, when rows above it go away.
            self._place_cursor(highlighted)
            self.refresh()
        else:
            for key in changed_rows:
                self._refresh_row(key)

    def restyle(self, palette: Palette) -> None:
        """Recolour every cell after a theme change (the colours live in the cells)."""
        if self._source is not None:
            statuses, history, _ = self._source
            self._source = (statuses, history, palette)
            self._rebuild()

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        if not self._cells:
            self.cursor_row = 0
            return
        row = max(0, min(row, len(self._cells) - 1))
        old = self.highlighted_key
        if row != self.cursor_row:
            self.cursor_row = row
            if old is not None:
                self._refresh_row(old)
            self._refresh_row(self.keys[row])
        self._scroll_to_cursor(animate)
        if self.highlighted_key != old:
            self.post_message(self.Highlighted(self.highlighted_key))

    # -- keys and mouse ------------------------------------------------------------------------

    def _rows_on_screen(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # under the header

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._rows_on_screen())

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._rows_on_screen())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._cells) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:  # not the header
            index = round(self.scroll_y) + event.y - 1
            if 0 <= index < len(self._cells):
                self.move_cursor(row=index)

    # -- rendering -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        self._restyled()

    def on_focus(self) -> None:
        self._restyled()

    def on_blur(self) -> None:
        self._restyled()

    def on_resize(self) -> None:
        self._restyled()

    def _restyled(self) -> None:
        self._strips.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            key, index = HEADER, -1
        else:
            index = round(self.scroll_y) + y - 1
            if not 0 <= index < len(self._cells):
                return Strip.blank(width, base)
            key = self.keys[index]
        cursor = index == self.cursor_row
        strip = self._strips.get((key, cursor))
        if strip is None:
            strip = self._render_row(key, index, cursor, base)
            self._strips[(key, cursor)] = strip
        scroll_x = round(self.scroll_x)
        return strip.crop(scroll_x, scroll_x + width).adjust_cell_length(width, base).simplify()

    def _render_row(self, key: str, index: int, cursor: bool, base: Style) -> Strip:
        """One row (or the header) as the full table width plus the rest of the widget."""
        self.renders += 1
        if key == HEADER:
            style = self.get_component_styles("queue-table--header").rich_style
            texts = [safe(c.label, justify=c.justify) for c in self.layout_spec.columns]
        else:
            style = base
            if cursor:
                style = base + self.get_component_rich_style("queue-table--cursor")
            texts = self._texts[key]
        console, options = self.app.console, self.app.console_options
        segments: list[RichSegment] = []
        columns = self.layout_spec.columns
        for column_index, (column, text) in enumerate(zip(columns, texts, strict=True)):
            width = column.width + 2 * CELL_PADDING
            cell_options = options.update_dimensions(width, 1).update(no_wrap=True)
            cell = Padding(text, (0, CELL_PADDING))
            meta = Style.from_meta({"row": index, "column": column_index})  # clicks find the row
            segments.extend(console.render_lines(cell, cell_options, style=style + meta)[0])
        rest = max(0, self.size.width - self._table_width())
        out = Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})
        segments.append(RichSegment(" " * rest, style + out))
        return Strip(segments)

    # -- internals -----------------------------------------------------------------------------

    def _table_width(self) -> int:
        return sum(c.width + 2 * CELL_PADDING for c in self.layout_spec.columns)

    def _resized(self) -> None:
        self.virtual_size = Size(self._table_width(), len(self._cells) + 1)

    def _set_row(self, key: str, cells: dict[str, Cell]) -> None:
        self._cells[key] = dict(cells)
        self._texts[key] = [self._text(column, cell) for column, cell in cells.items()]
        self._strips.pop((key, False), None)
        self._strips.pop((key, True), None)

    def _refresh_row(self, key: str) -> None:
        """Draw one row again (its strips are dropped already, or the cursor moved)."""
        self._strips.pop((key, False), None)
        self._strips.pop((key, True), None)
        if key not in self._cells:
            return
        y = self.keys.index(key) + 1 - round(self.scroll_y)
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _place_cursor(self, key: str | None) -> None:
        keys = self.keys
        fallback = min(self.cursor_row, max(0, len(keys) - 1))
        row = keys.index(key) if key in self._cells else fallback
        changed = row != self.cursor_row or key not in self._cells
        self.cursor_row = row
        self._scroll_to_cursor(False)
        if changed:
            self.post_message(self.Highlighted(self.highlighted_key))

    def _scroll_to_cursor(self, animate: bool) -> None:
        top, shown = round(self.scroll_y), self._rows_on_screen()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=animate)
        elif self.cursor_row >= top + shown:
            self.scroll_to(y=self.cursor_row - shown + 1, animate=animate)

    def _rebuild(self, rows: dict[str, dict[str, Cell]] | None = None) -> None:
        highlighted = self.highlighted_key
        if rows is None:
            rows = {}
            if self._source is not None:
                statuses, history, palette = self._source
                for q in statuses:
                    key = row_key(q)
                    cells = row_cells(q, history, palette, self.layout_spec, self._extra.get(key))
                    rows.setdefault(key, cells)
        justify = {c.key: c.justify for c in self.layout_spec.columns}
        same_columns = justify == self._justify
        self._justify = justify
        old_cells, old_texts = self._cells, self._texts
        self._cells, self._texts = {}, {}
        for key, cells in rows.items():
            if same_columns and old_cells.get(key) == cells:  # moved, not changed (a re-sort)
                self._cells[key], self._texts[key] = old_cells[key], old_texts[key]
            else:
                self._set_row(key, cells)
        self._strips.clear()
        self._resized()
        self._place_cursor(highlighted)
        self.refresh()

    def _text(self, column: str, cell: Cell) -> Text:
        text = Text(justify=self._justify.get(column, "left"), no_wrap=True, overflow="ellipsis")
        for plain, style in cell:
            text.append(escape(plain, one_line=True), style=style or None)
        return text
