"""A virtualised, follow-able view of log lines (Textual's Line API over a bounded deque).

Only the rows on screen are rendered, each once (an LRU of strips), so a buffer of 10,000 lines
and a stream of 2,000 lines/s cost what 36 rows cost. Like toolong: the view follows the newest
line until the operator moves up or scrolls up; then new lines are only counted (the screen
shows "N new lines") until the operator goes back to the end.

Each row is a Rich ``Text`` built from strings (never markup) that :mod:`log_text` already
escaped, so a line holding ``[bold red]`` or an ANSI escape shows those characters.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme

from edgewatch.logs.models import DEFAULT_BUFFER_LINES, LogLine
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.logs import text as log_text

CACHE_ROWS = 256  # a few screens: every cached strip is long-lived garbage for the GC
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "CRIT", "FATAL", "ALERT", "EMERGENCY"})
WARN_LEVELS = frozenset({"WARN", "WARNING"})
QUIET_LEVELS = frozenset({"DEBUG", "TRACE"})


def line_key(line: LogLine) -> tuple[str, str]:
    """Unique per line across sources (event IDs are unique per group or file)."""
    return (line.log_group, line.event_id)


def row_text(line: LogLine, palette: Palette, width: int) -> Text:
    """``08:00:01.123 ERROR 6f1c2a9b-3de… event failed queue=… error=…``, cut to ``width``."""
    level = line.level or ""
    if level in ERROR_LEVELS:
        level_style, body_style = f"bold {palette.crit}", palette.crit
    elif level in WARN_LEVELS:
        level_style, body_style = f"bold {palette.warn}", ""
    elif level in QUIET_LEVELS:
        level_style, body_style = palette.muted, palette.muted
    else:
        level_style, body_style = palette.ok, ""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(log_text.time_of_day(line), style=palette.muted)
    text.append(" ")
    text.append(log_text.level_label(line.level).ljust(log_text.LEVEL_WIDTH), style=level_style)
    text.append(" ")
    rid = log_text.literal(log_text.request_id_label(line.request_id))
    text.append(rid.ljust(log_text.REQUEST_ID_WIDTH), style=palette.accent)
    text.append(" ")
    text.append(log_text.summary(line), style=body_style)
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


class LogView(ScrollView, can_focus=True):
    """Log lines, newest at the bottom, with a cursor line and a follow mode."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-view--cursor"}
    DEFAULT_CSS = """
    LogView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    LogView > .log-view--cursor {
        background: $primary 30%;
    }
    LogView:focus > .log-view--cursor {
        background: $primary 45%;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "follow", "Follow", show=False),
    ]

    class FollowChanged(Message):
        """Follow turned on or off (by keys, the wheel or the scrollbar)."""

        def __init__(self, follow: bool) -> None:
            super().__init__()
            self.follow = follow

    class CursorMoved(Message):
        """Another line is under the cursor (the detail panel follows it)."""

        def __init__(self, line: LogLine | None) -> None:
            super().__init__()
            self.line = line

    class Opened(Message):
        """A line was double-clicked: show it in full."""

        def __init__(self, line: LogLine) -> None:
            super().__init__()
            self.line = line

    def __init__(
        self,
        *,
        maxlen: int = DEFAULT_BUFFER_LINES,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.maxlen = maxlen
        self.follow = True
        self.cursor = -1
        self.appended = 0  # lines ever appended: "N new lines" is a difference of two of these
        self._unfollowed_at = 0
        self._lines: deque[LogLine] = deque(maxlen=maxlen)
        self._keys: set[tuple[str, str]] | None = None
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(CACHE_ROWS)
        self._palette: Palette | None = None
        self._programmatic = False

    # -- data ----------------------------------------------------------------------------------

    @property
    def lines(self) -> Sequence[LogLine]:
        return self._lines

    @property
    def new_lines(self) -> int:
        """Lines that arrived since follow went off (0 while following)."""
        return 0 if self.follow else self.appended - self._unfollowed_at

    @property
    def selected(self) -> LogLine | None:
        return self._lines[self.cursor] if 0 <= self.cursor < len(self._lines) else None

    def set_lines(self, lines: Iterable[LogLine], *, dedupe: bool = False) -> None:
        """Replace the content (a new filter); follows the newest line again.

        ``dedupe``: skip lines already shown (a request search and the live tail can both
        deliver a line); only for small, filtered views, since it keeps a set of keys.
        """
        self._lines.clear()
        self._keys = set() if dedupe else None
        self._cache.clear()
        self._add(lines)
        self.appended = self._unfollowed_at = 0
        self._set_follow(True, notify=True)
        self._after_change(evicted=0)

    def append(self, lines: Sequence[LogLine]) -> None:
        """New lines at the bottom; the oldest fall off past ``maxlen``."""
        if not lines:
            return
        added, evicted = self._add(lines)
        if added:
            self.appended += added
            self._after_change(evicted)

    def merge(self, lines: Sequence[LogLine]) -> None:
        """Older lines found by a search: put in time order with what is shown (small views)."""
        keys = self._keys if self._keys is not None else {line_key(x) for x in self._lines}
        fresh = [line for line in lines if line_key(line) not in keys]
        if not fresh:
            return
        selected = self.selected
        combined = sorted([*self._lines, *fresh], key=lambda x: x.timestamp)[-self.maxlen :]
        self._lines = deque(combined, maxlen=self.maxlen)
        self._keys = {line_key(x) for x in combined} if self._keys is not None else None
        self._cache.clear()
        if self.follow or selected is None:
            self.cursor = len(self._lines) - 1
        else:
            self.cursor = next(
                (i for i, x in enumerate(self._lines) if x is selected), len(self._lines) - 1
            )
        self._after_change(evicted=0)

    def _add(self, lines: Iterable[LogLine]) -> tuple[int, int]:
        before = len(self._lines)
        if self._keys is None:
            new = list(lines)
            self._lines.extend(new)
            return len(new), max(0, before + len(new) - self.maxlen)
        added = evicted = 0
        for line in lines:
            key = line_key(line)
            if key in self._keys:
                continue
            if len(self._lines) == self.maxlen:
                self._keys.discard(line_key(self._lines.popleft()))
                evicted += 1
            self._lines.append(line)
            self._keys.add(key)
            added += 1
        return added, evicted

    def _after_change(self, evicted: int) -> None:
        self.virtual_size = Size(0, len(self._lines))
        if self.follow:
            self.cursor = len(self._lines) - 1
            self._scroll(self.max_scroll_y)
        elif evicted:  # keep the same lines under the operator's eyes
            self.cursor = max(0, self.cursor - evicted)
            self._scroll(max(0, round(self.scroll_y) - evicted))
        self.refresh()

    # -- follow and the cursor -----------------------------------------------------------------

    def _set_follow(self, follow: bool, *, notify: bool = True) -> None:
        if follow == self.follow:
            return
        self.follow = follow
        if not follow:
            self._unfollowed_at = self.appended
        if notify:
            self.post_message(self.FollowChanged(follow))

    def pin(self) -> None:
        """Stop following, the cursor staying on its line (the operator is reading it)."""
        self._set_follow(False)

    def follow_tail(self) -> None:
        """Back to the newest line and keep following."""
        self._set_follow(True)
        self._move(len(self._lines) - 1)
        self._scroll(self.max_scroll_y)

    def _scroll(self, y: float) -> None:
        """Scroll without it counting as the operator's scroll (see ``watch_scroll_y``)."""
        self._programmatic = True
        try:
            self.scroll_target_y = y
            self.scroll_y = y
        finally:
            self._programmatic = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._programmatic or round(old_value) == round(new_value):
            return
        at_end = round(new_value) >= self.max_scroll_y  # a clamp after a resize lands here
        if new_value < old_value and self.follow and not at_end:  # the operator scrolled up
            self._set_follow(False)
        elif new_value > old_value and at_end and not self.follow:
            self.follow_tail()  # scrolled back to the bottom

    def _move(self, cursor: int) -> None:
        """Put the cursor on ``cursor`` (clamped) and scroll just enough to show it."""
        if not self._lines:
            return
        cursor = max(0, min(cursor, len(self._lines) - 1))
        if cursor != self.cursor:
            self.cursor = cursor
            self.refresh()
            self.post_message(self.CursorMoved(self.selected))
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if cursor < top:
            self._scroll(cursor)
        elif cursor >= top + height:
            self._scroll(cursor - height + 1)

    def _move_by(self, delta: int) -> None:
        if not self._lines:
            return
        target = max(0, min(self.cursor + delta, len(self._lines) - 1))
        if target == len(self._lines) - 1:
            self.follow_tail()
            return
        self._set_follow(False)
        self._move(target)

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self._move_by(-1)

    def action_cursor_down(self) -> None:
        self._move_by(1)

    def action_page_up(self) -> None:
        self._move_by(-self._page)

    def action_page_down(self) -> None:
        self._move_by(self._page)

    def action_first(self) -> None:
        self._move_by(-len(self._lines))

    def action_follow(self) -> None:
        self.follow_tail()

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if not 0 <= index < len(self._lines):
            return
        self._move_by(index - self.cursor)
        if event.chain >= 2:
            self.post_message(self.Opened(self._lines[index]))

    def on_resize(self) -> None:
        self._cache.clear()
        if self.follow:
            self._scroll(self.max_scroll_y)

    # -- rendering -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        self._palette = None
        self._cache.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if not 0 <= index < len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[index]
        selected = index == self.cursor
        key = (*line_key(line), width, selected)
        strip = self._cache.get(key)
        if strip is None:
            if self._palette is None:
                self._palette = Palette.from_app(self.app)
            text = row_text(line, self._palette, width)
            base = self.rich_style
            if selected:
                base += self.get_component_rich_style("log-view--cursor")
            segments = Segment.apply_style(text.render(self.app.console), base)
            strip = Strip(segments, width)  # row_text pads to exactly ``width`` cells
            self._cache.set(key, strip)
        return strip
