"""The queue table: one row per queue URL, updated in place where a value changed.

Following dolphie, a poll does not rebuild the table: each cell's (text, style) is compared with
what is on screen and only differing cells are written, inside one ``batch_update``. That keeps
the cursor, the scroll position and the terminal traffic steady all day.

``DataTable.update_cell`` bumps a table-wide counter that is part of every render cache key, so
one changed cell re-renders every visible row; with live traffic some cell changes on every poll,
and that was most of the console's idle CPU. The table writes a changed row's cells itself and
drops only that row's cached renders (:meth:`QueueTable._write_row`). That uses DataTable's
private caches; if a Textual release renames them, it falls back to ``update_cell``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape
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
        Column("dlq", "DLQ", 13),
        Column("trend", "Trend", 6),
        Column("state", "State", 9),
    ),
)
COMPACT_BELOW = 100
# DataTable's private render caches that _write_row invalidates row by row.
_ROW_CACHES = (
    "_data",
    "_row_locations",
    "_cell_render_cache",
    "_row_render_cache",
    "_row_renderable_cache",
    "_line_cache",
    "_get_offsets",
)
DLQ_TAG = " DLQ"


def _discard(cache: LRUCache[Any, Any], stale: Callable[[Any], bool]) -> None:
    for key in list(cache.keys()):
        if stale(key):
            cache.discard(key)


def row_key(status: QueueStatus) -> str:
    """Rows are keyed by queue URL (the name when the URL could not be resolved)."""
    return status.url or status.name


def row_cells(
    q: QueueStatus, history: History, palette: Palette, layout: Layout
) -> dict[str, Cell]:
    """Everything one row shows, as comparable cells (pure: no widget access)."""
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
        depth = fmt.count(q.dlq.visible) if q.dlq.visible is not None else "?"
        name = fmt.truncate_middle(q.dlq.name, layout.width_of("dlq") - len(depth) - 1)
        dlq = ((f"{name} ", palette.muted if q.dlq_level == "ok" else ""),)
        dlq += ((depth, palette.level(q.dlq_level)),)
        if q.dlq.oldest_age_s is None:
            dlq_age = (("n/a", palette.muted),)
        else:
            dlq_age = ((fmt.humanise_age(q.dlq.oldest_age_s), ""),)

    trend_width = layout.width_of("trend")
    trend = ((fmt.sparkline(history.series(row_key(q), "visible"), trend_width), palette.accent),)

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
    return {c.key: cells[c.key] for c in layout.columns}


class QueueTable(DataTable[Text]):
    """A ``DataTable`` that knows how to follow a sequence of ``QueueStatus`` in place."""

    def __init__(self, *, id: str | None = None) -> None:
        # Threshold colours must survive under the cursor: the renderable's colour wins.
        super().__init__(
            cursor_type="row",
            zebra_stripes=False,
            cursor_foreground_priority="renderable",
            id=id,
        )
        self.layout_spec: Layout = WIDE
        self._cells: dict[str, dict[str, Cell]] = {}
        self._justify: dict[str, Justify] = {}
        self._source: tuple[Sequence[QueueStatus], History, Palette] | None = None
        self.row_scoped_updates = all(hasattr(self, name) for name in _ROW_CACHES)

    @property
    def highlighted_key(self) -> str | None:
        """The queue key under the cursor, if any."""
        if not self.row_count:
            return None
        cell_key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0))
        return str(cell_key.row_key.value)

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._cells)

    def set_layout(self, layout: Layout) -> None:
        """Switch column sets (on resize); rebuilds once, keeping the highlighted queue."""
        if layout is self.layout_spec and self.columns:
            return
        self.layout_spec = layout
        self._rebuild()

    def show(self, statuses: Sequence[QueueStatus], history: History, palette: Palette) -> None:
        """Bring the table to ``statuses``: changed cells only; rows added/removed as needed."""
        self._source = (statuses, history, palette)
        layout = self.layout_spec
        new: dict[str, dict[str, Cell]] = {}
        for q in statuses:
            new.setdefault(row_key(q), row_cells(q, history, palette, layout))
        if not self.columns:
            self._add_columns()
        old_order = [k for k in self._cells if k in new]
        kept_in_new_order = [k for k in new if k in self._cells]
        appended_only = list(new)[: len(kept_in_new_order)] == kept_in_new_order
        if old_order != kept_in_new_order or not appended_only:
            self._rebuild(new)
            return
        highlighted = self.highlighted_key
        with self.app.batch_update():
            for key in [k for k in self._cells if k not in new]:
                self.remove_row(key)
                del self._cells[key]
            for key, cells in new.items():
                current = self._cells.get(key)
                if current is None:
                    self.add_row(*self._texts(cells), key=key)
                    self._cells[key] = cells
                    continue
                changed = {c: cell for c, cell in cells.items() if current.get(c) != cell}
                if changed:
                    self._write_row(key, {c: self._text(c, cell) for c, cell in changed.items()})
                    current.update(changed)
            # The cursor follows its queue, not its row index, when rows above it go away.
            if highlighted in self._cells and self.highlighted_key != highlighted:
                self.move_cursor(row=list(self._cells).index(highlighted), animate=False)

    def restyle(self, palette: Palette) -> None:
        """Recolour every cell after a theme change (the colours live in the cells)."""
        if self._source is not None:
            statuses, history, _ = self._source
            self._source = (statuses, history, palette)
            self._rebuild()

    # -- internals -----------------------------------------------------------------------------

    def _add_columns(self) -> None:
        self._justify = {c.key: c.justify for c in self.layout_spec.columns}
        for c in self.layout_spec.columns:
            label = Text(c.label, justify=c.justify)
            self.add_column(label, width=c.width, key=c.key)

    def _rebuild(self, rows: dict[str, dict[str, Cell]] | None = None) -> None:
        highlighted = self.highlighted_key
        if rows is None:
            rows = {}
            if self._source is not None:
                statuses, history, palette = self._source
                for q in statuses:
                    rows.setdefault(row_key(q), row_cells(q, history, palette, self.layout_spec))
        with self.app.batch_update():
            self.clear(columns=True)
            self._cells = {}
            self._add_columns()
            for key, cells in rows.items():
                self.add_row(*self._texts(cells), key=key)
                self._cells[key] = dict(cells)
            if highlighted in self._cells:
                self.move_cursor(row=list(self._cells).index(highlighted), animate=False)

    def _write_row(self, key: str, texts: dict[str, Text]) -> None:
        """Set cells of one row and re-render that row only (see the module docstring)."""
        if not self.row_scoped_updates:
            for column, text in texts.items():
                self.update_cell(key, column, text)
            return
        row_key = RowKey(key)
        row_data = self._data[row_key]
        for column, text in texts.items():
            row_data[ColumnKey(column)] = text
        row_index = self._row_locations.get(row_key)
        # Cache keys: cells and rendered rows start with the row key; row renderables are
        # (update count, row index); lines are keyed by y, which maps to a row.
        _discard(self._cell_render_cache, lambda k: k[0] == row_key)
        _discard(self._row_render_cache, lambda k: k[0] == row_key)
        _discard(self._row_renderable_cache, lambda k: k[1] == row_index)

        def line_in_row(cache_key: tuple[int, ...]) -> bool:
            try:
                return bool(self._get_offsets(cache_key[0])[0] == row_key)
            except LookupError:
                return True  # a line no longer in the table: drop it too

        _discard(self._line_cache, line_in_row)
        if row_index is not None:
            self.refresh_row(row_index)

    def _texts(self, cells: dict[str, Cell]) -> list[Text]:
        return [self._text(column, cell) for column, cell in cells.items()]

    def _text(self, column: str, cell: Cell) -> Text:
        text = Text(justify=self._justify.get(column, "left"), no_wrap=True, overflow="ellipsis")
        for plain, style in cell:
            text.append(escape(plain, one_line=True), style=style or None)
        return text
