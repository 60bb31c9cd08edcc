"""The main screen: banners, status bar, queue table and the detail pane."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final, Literal

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from edgewatch.config import Thresholds
from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape, safe
from edgewatch.fleet.view import SORT_KEYS, SortKey, arrange
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import History, MetricsSnapshot, QueueStatus
from edgewatch.tui.common.footer import AppFooter
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.status_bar import StatusBar, StatusView
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.fleet_cells import FLEET_COMPACT, FLEET_WIDE, fleet_cells
from edgewatch.tui.dashboard.latency_chart import ChartData, LatencyChart
from edgewatch.tui.dashboard.queue_detail import DetailContext, QueueDetail
from edgewatch.tui.dashboard.queue_table import (
    COMPACT,
    COMPACT_BELOW,
    WIDE,
    Cell,
    QueueTable,
    row_key,
)

CHART_MIN_HEIGHT = 30  # below this many rows the queue table needs them all (80x24)
EMBEDDED_BANNER = "EMBEDDED LOCAL STACK — simulated data (configure aws.* or queues to watch AWS)"


@dataclass(frozen=True, slots=True)
class DashboardData:
    """One frame of the dashboard, computed by the app from the latest snapshot."""

    status: StatusView
    history: History
    global_thresholds: Thresholds
    snapshot: MetricsSnapshot | None = None
    forecasts: Mapping[str, Forecast] = field(default_factory=dict)


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


LISTED: Final = "listed"  # the order the poller gives (configured queues): the default for a few


class DashboardScreen(Screen[None]):
    """Renders :class:`DashboardData`; holds no AWS logic and no timers.

    Its own view state: the sort (``o``), the ``/`` filter and grouping by account/region
    (``g``). A fleet starts sorted by trouble, a handful of configured queues in their order.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "sort", "Sort", id="sort"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("g", "group", "Group", id="group", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter", show=False),
    ]

    class Ready(Message):
        """The screen is mounted: the app can render whatever arrived before it was."""

    def __init__(self, *, embedded: bool, fleet: bool = False) -> None:
        super().__init__(id="dashboard")
        self.embedded = embedded
        self.fleet = fleet
        self.sort: SortKey | Literal["listed"] = "trouble" if fleet else LISTED
        self.filter_text = ""
        self.group = False
        self.ready = False
        self._data: DashboardData | None = None
        self._shown: tuple[int, int] = (0, 0)  # (rows shown, rows in the snapshot)
        self._extra_cache: dict[str, tuple[object, object, float, dict[str, Cell]]] = {}
        self._longest_name: int | None = None
        self._fitted_for: MetricsSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield Static(EMBEDDED_BANNER, id="embedded-banner", markup=False)
        yield StatusBar(id="status-bar")
        yield TextStatic(id="alert-banner")
        yield TextStatic(id="view-line")
        yield Input(
            placeholder="filter: name, region:eu-west-1, account:1234, tag:team=x (esc clears)",
            id="filter",
        )
        yield QueueTable(id="queues")
        yield TextStatic(id="empty")
        yield LatencyChart(id="latency")
        yield QueueDetail(id="detail")
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#embedded-banner").display = self.embedded
        self.query_one("#alert-banner").display = False
        self.query_one("#filter").display = False
        self.query_one("#view-line").display = self._view_active
        self.query_one(QueueTable).focus()
        self._apply_layout(self.app.size.width)
        _set_display(self.query_one(LatencyChart), self._chart_fits(self.app.size.height))
        self.ready = True
        self.post_message(self.Ready())

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width)
        _set_display(self.query_one(LatencyChart), self._chart_fits(event.size.height))

    def _chart_fits(self, height: int) -> bool:
        """A fleet needs the rows more than the pipeline's latency chart (the Logs screen has
        latency too)."""
        return height >= CHART_MIN_HEIGHT and not self.fleet

    def on_screen_resume(self) -> None:
        self.query_one(LatencyChart).catch_up()  # it is not redrawn while another screen shows

    def show_latency(self, data: ChartData) -> None:
        """The latency chart's frame (once a second at most, from the app's log service)."""
        self.query_one(LatencyChart).show(data)

    def _apply_layout(self, width: int) -> None:
        narrow = width < COMPACT_BELOW
        if self.fleet:
            layout = FLEET_COMPACT if narrow else FLEET_WIDE
        else:
            layout = COMPACT if narrow else WIDE
        self.query_one(QueueTable).set_layout(layout.fitted(width, self._longest_name))

    def _fit_names(self, queues: Sequence[QueueStatus]) -> None:
        """Name columns as wide as the longest name (not all of a wide terminal): re-laid out
        only when that length changes."""
        longest = max((len(q.name) for q in queues), default=0) or None
        if longest != self._longest_name:
            self._longest_name = longest
            self._apply_layout(self.app.size.width)

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

        every: Sequence[QueueStatus] = data.snapshot.queues if data.snapshot else ()
        if data.snapshot is not self._fitted_for:
            self._fitted_for = data.snapshot
            self._fit_names(every)
        queues = every
        if self.sort != LISTED or self.filter_text or self.group:
            queues = arrange(
                every,
                data.forecasts,
                sort="name" if self.sort == LISTED else self.sort,
                text=self.filter_text,
                group=self.group,
            )
            if self.sort == LISTED and not self.group:  # filtered only: keep the listed order
                kept = {id(q) for q in queues}
                queues = [q for q in every if id(q) in kept]
        extra = None
        if self.fleet:
            extra = self._fleet_extra(queues, data, palette)
        self.table.show(queues, data.history, palette, extra)
        self._shown = (len(queues), len(every))
        self._show_view_line()
        empty = self.query_one("#empty", TextStatic)
        _set_display(empty, not queues)
        _set_display(self.query_one(QueueDetail), bool(queues))
        if not queues:
            empty.show(
                self._empty_text(data) if not every else Text("No queue matches the filter.")
            )
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
        highlighted = self.highlighted()
        runtime = getattr(self.app, "runtime", None)
        directory = getattr(runtime, "_consumers", None)
        source = getattr(runtime, "config_source", None)
        ctx = DetailContext(
            now=data.status.now,
            global_thresholds=data.global_thresholds,
            metrics_error=data.snapshot.metrics_error if data.snapshot else None,
            forecast=data.forecasts.get(row_key(highlighted)) if highlighted else None,
            consumers=directory.get(highlighted.url) if directory and highlighted else None,
            config_file=getattr(source, "path", None) is not None,
            age_carried=self.fleet,
        )
        palette = Palette.from_app(self.app)
        self.query_one(QueueDetail).show(highlighted, data.history, palette, ctx)

    def _fleet_extra(
        self, queues: Sequence[QueueStatus], data: DashboardData, palette: Palette
    ) -> dict[str, dict[str, Cell]]:
        """The fleet columns, reused for the same status and forecast within a freshness step
        (5 s): a keystroke or the status tick recompute nothing."""
        now, cache = data.status.now, self._extra_cache
        step = now // 5
        fresh: dict[str, tuple[object, object, float, dict[str, Cell]]] = {}
        out = {}
        for q in queues:
            key = row_key(q)
            f = data.forecasts.get(key)
            hit = cache.get(key)
            if hit is not None and hit[0] is q and hit[1] == f and hit[2] == step:
                cells = hit[3]
            else:
                cells = fleet_cells(q, f, palette, now)
            out[key] = cells
            fresh[key] = (q, f, step, cells)
        self._extra_cache = fresh
        return out

    # -- view: sort, filter, group -------------------------------------------------------------

    @property
    def _view_active(self) -> bool:
        return self.fleet or self.sort != LISTED or bool(self.filter_text) or self.group

    def view_text(self) -> Text:
        """``sort trouble · filter "x" 12 of 1,054 · grouped`` and the keys that change it."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("sort ", style="dim")
        text.append(escape("as listed" if self.sort == LISTED else self.sort), style="bold")
        shown, total = self._shown
        if self.filter_text:
            text.append(" · filter ", style="dim")
            text.append(escape(self.filter_text, one_line=True), style="bold")
        text.append(
            f" · {shown:,} of {total:,} queues" if self.filter_text else f" · {total:,} queues"
        )
        if self.group:
            text.append(" · grouped by account/region", style="bold")
        snap = self._data.snapshot if self._data is not None else None
        if snap is not None and snap.refresh_s is not None and snap.refresh_s >= 2:
            # The budget affords fewer reads than rows: they take turns (see Fresh).
            text.append(f" · rows read in turn, each ~{fmt.humanise_age(snap.refresh_s)}")
        text.append("   o sort · / filter · g group", style="dim")
        return text

    def _show_view_line(self) -> None:
        line = self.query_one("#view-line", TextStatic)
        _set_display(line, self._view_active)
        if self._view_active:
            line.show(self.view_text())

    def _again(self) -> None:
        if self._data is not None:
            self.show(self._data)
        else:
            self._show_view_line()

    def action_sort(self) -> None:
        """Next sort key: trouble, name, depth, age, DLQ (and as listed, for a few queues)."""
        order: list[SortKey | Literal["listed"]] = (
            list(SORT_KEYS) if self.fleet else [LISTED, *SORT_KEYS]
        )
        self.sort = order[(order.index(self.sort) + 1) % len(order)]
        self._again()

    def action_group(self) -> None:
        self.group = not self.group
        self._again()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display and not self.filter_text:
            return
        box.display = False
        self.filter_text = ""
        with box.prevent(Input.Changed):
            box.value = ""
        self.table.focus()
        self._again()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._again()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        box = self.query_one("#filter", Input)
        if not self.filter_text:
            box.display = False
        self.table.focus()

    def visible_urls(self) -> list[str]:
        """Queue URLs of the rows on screen (what the fleet poller reads first)."""
        return [k for k in self.table.visible_keys() if k.startswith(("http://", "https://"))]

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
