"""The main screen: banners, status bar, queue table and the detail pane."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from edgewatch.config import Thresholds
from edgewatch.display.escape import escape, safe
from edgewatch.metrics.models import History, MetricsSnapshot, QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.status_bar import StatusBar, StatusView
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.latency_chart import ChartData, LatencyChart
from edgewatch.tui.dashboard.queue_detail import DetailContext, QueueDetail
from edgewatch.tui.dashboard.queue_table import COMPACT, COMPACT_BELOW, WIDE, QueueTable, row_key

CHART_MIN_HEIGHT = 30  # below this many rows the queue table needs them all (80x24)
EMBEDDED_BANNER = "EMBEDDED LOCAL STACK — simulated data (configure aws.* or queues to watch AWS)"


@dataclass(frozen=True, slots=True)
class DashboardData:
    """One frame of the dashboard, computed by the app from the latest snapshot."""

    status: StatusView
    history: History
    global_thresholds: Thresholds
    snapshot: MetricsSnapshot | None = None


def alert_text(status: StatusView, palette: Palette) -> Text | None:
    """The banner under the status bar, or ``None`` when everything is running normally."""
    snap = status.snapshot
    if status.poller_error is not None:
        text = Text.assemble(("POLLING STOPPED — ", f"bold {palette.crit}"))
        text.append(escape(status.poller_error))
        text.append(" — press r to restart", style="bold")
        return text
    if status.connection == "down":
        text = Text.assemble(("NOT CONNECTED — ", f"bold {palette.crit}"))
        text.append(escape(snap.error if snap and snap.error else "endpoint unreachable"))
        text.append(" — showing last known values; retrying automatically", style="bold")
        return text
    if status.connection == "paused":
        return Text(
            "PAUSED — no AWS calls are made; press p to resume", style=f"bold {palette.warn}"
        )
    return None


def _set_display(widget: Widget, shown: bool) -> None:
    """Toggle only on change: each assignment of ``display`` schedules a re-layout."""
    if widget.display != shown:
        widget.display = shown


class DashboardScreen(Screen[None]):
    """Renders :class:`DashboardData`; holds no AWS logic and no timers."""

    class Ready(Message):
        """The screen is mounted: the app can render whatever arrived before it was."""

    def __init__(self, *, embedded: bool) -> None:
        super().__init__(id="dashboard")
        self.embedded = embedded
        self.ready = False
        self._data: DashboardData | None = None

    def compose(self) -> ComposeResult:
        yield Static(EMBEDDED_BANNER, id="embedded-banner", markup=False)
        yield StatusBar(id="status-bar")
        yield TextStatic(id="alert-banner")
        yield QueueTable(id="queues")
        yield TextStatic(id="empty")
        yield LatencyChart(id="latency")
        yield QueueDetail(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#embedded-banner").display = self.embedded
        self.query_one("#alert-banner").display = False
        self.query_one(QueueTable).focus()
        self._apply_layout(self.app.size.width)
        _set_display(self.query_one(LatencyChart), self.app.size.height >= CHART_MIN_HEIGHT)
        self.ready = True
        self.post_message(self.Ready())

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width)
        _set_display(self.query_one(LatencyChart), event.size.height >= CHART_MIN_HEIGHT)

    def on_screen_resume(self) -> None:
        self.query_one(LatencyChart).catch_up()  # it is not redrawn while another screen shows

    def show_latency(self, data: ChartData) -> None:
        """The latency chart's frame (once a second at most, from the app's log service)."""
        self.query_one(LatencyChart).show(data)

    def _apply_layout(self, width: int) -> None:
        self.query_one(QueueTable).set_layout(COMPACT if width < COMPACT_BELOW else WIDE)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def show(self, data: DashboardData) -> None:
        """Render one frame: only what changed is redrawn (see ``QueueTable.show``)."""
        self._data = data
        palette = Palette.from_app(self.app)
        self.query_one(StatusBar).show(data.status, palette)
        alert = alert_text(data.status, palette)
        banner = self.query_one("#alert-banner", TextStatic)
        _set_display(banner, alert is not None)
        banner.show(alert or "", layout=True)  # its height follows the text
        banner.set_class(data.status.connection == "paused", "-paused")

        queues = data.snapshot.queues if data.snapshot else ()
        self.table.show(queues, data.history, palette)
        empty = self.query_one("#empty", TextStatic)
        _set_display(empty, not queues)
        _set_display(self.query_one(QueueDetail), bool(queues))
        if not queues:
            empty.show(self._empty_text(data))
        self._show_detail()

    def restyle(self) -> None:
        """Re-resolve colours after a theme change."""
        self.table.restyle(Palette.from_app(self.app))
        self.query_one(LatencyChart).restyle()
        if self._data is not None:
            self.show(self._data)

    @on(QueueTable.Highlighted)
    def _highlight_changed(self) -> None:
        self._show_detail()

    def highlighted(self) -> QueueStatus | None:
        """The queue under the table's cursor."""
        key = self.table.highlighted_key
        if key is None or self._data is None or self._data.snapshot is None:
            return None
        return next((q for q in self._data.snapshot.queues if row_key(q) == key), None)

    def _show_detail(self) -> None:
        if self._data is None:
            return
        data = self._data
        queue = self.highlighted()
        directory = getattr(getattr(self.app, "runtime", None), "_consumers", None)
        ctx = DetailContext(
            now=data.status.now,
            global_thresholds=data.global_thresholds,
            metrics_error=data.snapshot.metrics_error if data.snapshot else None,
            consumers=directory.get(queue.url) if directory and queue else None,
        )
        palette = Palette.from_app(self.app)
        self.query_one(QueueDetail).show(queue, data.history, palette, ctx)

    @staticmethod
    def _empty_text(data: DashboardData) -> Text:
        status = data.status
        if status.connection == "connecting" or data.snapshot is None:
            return safe(f"Connecting to {status.endpoint} …")
        if status.connection in ("down", "paused"):
            return Text("No queue data yet.")
        return Text(
            "No queues at this endpoint. Create one, or list queues to watch in the config "
            "(queues = [...])."
        )
