"""The one-line status bar: where we are connected and how fresh the numbers are."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape
from edgewatch.metrics.models import ConnectionState, MetricsSnapshot
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import text_key


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything the bar shows, computed by the app (the bar itself has no clock or poller)."""

    endpoint: str
    region: str
    connection: ConnectionState
    now: float
    snapshot: MetricsSnapshot | None
    read_only: bool
    poller_error: str | None = None


def endpoint_text(view: StatusView, palette: Palette) -> Text:
    return Text.assemble(
        (escape(view.endpoint, one_line=True), "bold"),
        (f" · {escape(view.region, one_line=True)}", palette.muted),
    )


def state_text(view: StatusView, palette: Palette) -> Text:
    """``● ok · polled 3s ago · CloudWatch 40s ago · read-only`` (AWS text stays literal)."""
    text = Text(no_wrap=True)
    if view.poller_error is not None:
        text.append("● poller stopped", style=f"bold {palette.crit}")
    else:
        text.append(escape(f"● {view.connection}"), style=palette.connection(view.connection))
    snap = view.snapshot
    last_ok = snap.last_success_at if snap else None
    text.append(" · polled ", style=palette.muted)
    text.append(fmt.ago(last_ok, view.now))
    text.append(" · CloudWatch ", style=palette.muted)
    if snap is not None and snap.metrics_error:
        text.append("error", style=f"bold {palette.warn}")
    elif snap is not None and snap.metrics_at is not None:
        text.append(fmt.ago(snap.metrics_at, view.now))
    else:
        text.append("n/a", style=palette.muted)
    if view.read_only:
        text.append(" · ", style=palette.muted)
        text.append("read-only", style=f"bold {palette.accent}")
    return text


class StatusBar(Widget):
    """Endpoint and region on the left (cut first), state and freshness on the right.

    One fixed-size line rendered as a whole: a change repaints this line only, no re-layout.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._left = Text()
        self._right = Text()

    @property
    def state(self) -> Text:
        """The right-hand side, as shown (for tests and screen readers alike)."""
        return self._right

    def show(self, view: StatusView, palette: Palette) -> None:
        left, right = endpoint_text(view, palette), state_text(view, palette)
        if (text_key(left), text_key(right)) != (text_key(self._left), text_key(self._right)):
            self._left, self._right = left, right
            self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        right = self._right.copy()
        right.truncate(width, overflow="ellipsis")
        left = self._left.copy()
        left.truncate(max(0, width - right.cell_len - 2), overflow="ellipsis")
        gap = max(0, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, end="")
