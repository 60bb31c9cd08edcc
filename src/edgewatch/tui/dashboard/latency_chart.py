"""The dashboard's latency chart: p50/p95/p99 of worker latency and of queue lag (textual-plotext).

Drawn from :class:`~edgewatch.logs.latency.LatencySeries` once per tick (once a second at
most), only while the dashboard is on screen; the x axis is seconds before now; line colours
come from the theme (primary, accent, secondary; the SLO in the error colour). Seconds without
samples are gaps, never zeros. Without a log source it says so instead of drawing empty axes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual_plotext import PlotextPlot

from edgewatch.display.escape import escape, safe
from edgewatch.logs.latency import LatencyPoint, LatencySeries, WindowCounts
from edgewatch.tui.common.text_static import TextStatic

PERCENTILES = ("p50", "p95", "p99")
TICK_EVERY_S = 60
Y_TICKS = 4
MIN_SPAN_S = 5  # the plot moves every 5 s at most; the legend's numbers every second
Y_AXIS_COLUMNS = 6  # the tick labels and the frame take these from the plot's width
HEADROOM = 1.1


@dataclass(frozen=True, slots=True)
class ChartData:
    """One frame of the chart, computed by the app from the log service."""

    series: LatencySeries
    now: float
    window_s: float
    history_s: int
    slo_ms: float | None
    message: str | None = None  # instead of the plots (no log source)
    waiting: str | None = None  # under the plots (nothing yet, paused, source trouble)
    # Why a series cannot be computed from these logs; said instead of an empty plot.
    latency_unavailable: str | None = None
    lag_unavailable: str | None = None
    latency_title: str = "worker latency"  # "invocation duration" when REPORT lines feed it
    counts: WindowCounts | None = None


@dataclass(frozen=True, slots=True)
class SeriesColours:
    p50: tuple[int, int, int]
    p95: tuple[int, int, int]
    p99: tuple[int, int, int]
    slo: tuple[int, int, int]

    @classmethod
    def from_theme(cls, variables: dict[str, str]) -> SeriesColours:
        def rgb(name: str, fallback: str) -> tuple[int, int, int]:
            return Color.parse(variables.get(name) or fallback).rgb

        return cls(
            p50=rgb("primary", "#3FA7D6"),
            p95=rgb("accent", "#F2A541"),
            p99=rgb("secondary", "#7B8CDE"),
            slo=rgb("error", "#F0544F"),
        )

    def of(self, name: str) -> tuple[int, int, int]:
        colour: tuple[int, int, int] = getattr(self, name)  # one of the fields above
        return colour


def segments(
    points: Sequence[LatencyPoint], name: str, now_s: int, bucket_s: int = 1
) -> Iterator[tuple[list[int], list[float]]]:
    """Runs of known values as ``(seconds before now, values)``; gaps split them.

    ``bucket_s`` > 1 keeps the highest value of each span of that many seconds (aligned on the
    epoch, placed at the span's end): the plot has fewer columns than seconds, a spike must
    survive the thinning, and the picture only moves when a span closes (the open span is left
    out; the legend has the latest values), so the plot is redrawn once per span at most. The
    oldest span is left out too while the history's start cuts through it (it would change
    every second as its seconds fall off). Each point costs plotext a line segment: this is
    most of the chart's CPU.
    """
    xs: list[int] = []
    ys: list[float] = []
    peak: float | None = None
    origin = span_end(now_s + 1, bucket_s) - bucket_s  # the newest closed span's end: "now"
    first = points[0].t if points else 0
    for point in points:
        value = getattr(point, name)
        if value is not None:
            peak = value if peak is None else max(peak, value)
        end = span_end(point.t, bucket_s)
        if point.t != end:
            continue
        if end - bucket_s + 1 < first:  # a span cut by the start of the history
            peak = None
            continue
        if peak is None:
            if xs:
                yield xs, ys
                xs, ys = [], []
            continue
        xs.append(end - origin)
        ys.append(peak)
        peak = None
    if xs:
        yield xs, ys


def span_end(t: int, bucket_s: int) -> int:
    """The last second of the ``bucket_s``-second span holding second ``t``."""
    return (t // bucket_s + 1) * bucket_s - 1


def bucket_seconds(history_s: int, columns: int) -> int:
    """Seconds per plotted point: two per column (the ``hd`` marker's resolution), and at least
    ``MIN_SPAN_S``: percentiles over a sliding minute move little in a few seconds, and each
    redraw of the plot costs more CPU than everything else the chart does (idle budget)."""
    return max(MIN_SPAN_S, math.ceil(history_s / max(1, 2 * columns)))


def _style(rgb: tuple[int, int, int]) -> str:
    return "bold #{:02x}{:02x}{:02x}".format(*rgb)


def value_label(value: float | None) -> str:
    """``8.1`` / ``212`` / ``1.2k`` ms; ``—`` for a second without samples."""
    if value is None:
        return "—"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def y_ticks(top: float) -> tuple[list[float], list[str]]:
    """Round values from 0 to ``top`` (at most five), so the axis reads 0, 100, 200, 300."""
    if top <= 0:
        return [0.0], ["0"]
    magnitude = 10 ** math.floor(math.log10(top / Y_TICKS))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top / (m * magnitude) <= Y_TICKS)
    ticks = [i * step for i in range(int(top / step) + 1)]
    return ticks, [value_label(t) if t else "0" for t in ticks]


def x_ticks(history_s: int) -> tuple[list[float], list[str]]:
    """Every minute back to the start of the history, labelled in seconds ago."""
    ticks: list[float] = list(range(-(history_s // TICK_EVERY_S) * TICK_EVERY_S, 1, TICK_EVERY_S))
    return ticks, [f"{-t}s" if t else "now" for t in ticks]


class SeriesPlot(Vertical):
    """One series: a legend line with the latest values, and the plot."""

    def __init__(self, title: str, *, slo: bool, id: str | None = None) -> None:
        super().__init__(id=id, classes="latency-series")
        self.title = title
        self.with_slo = slo
        self._last: tuple[Sequence[LatencyPoint], ChartData, SeriesColours] | None = None
        self._picture: object = None

    def compose(self) -> ComposeResult:
        yield TextStatic(classes="latency-legend")
        yield PlotextPlot(classes="latency-plot")

    def on_resize(self) -> None:
        if self._last is not None:  # the thinning depends on the width
            self.draw(*self._last)

    def draw(
        self,
        points: Sequence[LatencyPoint],
        data: ChartData,
        colours: SeriesColours,
        unavailable: str | None = None,
        title: str | None = None,
    ) -> None:
        """The legend every time (latest values); the plot only when its picture changed.

        A series these logs cannot give (``unavailable``) says why instead of an empty plot.
        """
        self._last = (points, data, colours)
        if title is not None:
            self.title = title
        slo = data.slo_ms if self.with_slo else None
        plot = self.query_one(PlotextPlot)
        if unavailable is not None:
            legend = Text(no_wrap=False, end="")
            legend.append(escape(self.title), style="bold")
            legend.append(escape(f": {unavailable}"))
            self.query_one(TextStatic).show(legend)
            if plot.display:
                plot.display = False
                self._picture = None
            return
        if not plot.display:
            plot.display = True
        self.query_one(TextStatic).show(self._legend(points, slo, colours))
        now_s = math.floor(data.now)
        bucket = bucket_seconds(data.history_s, plot.size.width - Y_AXIS_COLUMNS)
        lines = [
            (name, segment)
            for name in reversed(PERCENTILES)  # p50 last: on top where the lines meet
            for segment in segments(points, name, now_s, bucket)
        ]
        top = max((max(ys) for _, (_, ys) in lines), default=0.0)
        top = max(top, slo or 0.0)
        top = top * HEADROOM if top > 0 else 1.0
        picture = (lines, top, slo, colours, data.history_s, plot.size)
        if picture == self._picture:
            return
        self._picture = picture
        plt = plot.plt
        plt.clear_figure()
        if slo is not None:
            plt.hline(slo, color=colours.slo)  # first: the data is drawn over it
        for name, (xs, ys) in lines:
            plt.plot(xs, ys, color=colours.of(name), marker="hd")
        plt.xlim(-data.history_s, 0)
        plt.ylim(0, top)
        plt.xticks(*x_ticks(data.history_s))
        plt.yticks(*y_ticks(top))
        plot.refresh()

    def _legend(
        self, points: Sequence[LatencyPoint], slo: float | None, colours: SeriesColours
    ) -> Text:
        last = points[-1] if points else None
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(escape(self.title), style="bold")
        for name in PERCENTILES:
            text.append(" ━", style=_style(colours.of(name)))
            text.append(escape(f"{name} "))
            text.append(value_label(getattr(last, name) if last else None), style="bold")
        if slo is not None:
            text.append(" ─", style=_style(colours.slo))
            text.append(f"SLO {value_label(slo)}")
        return text


class LatencyChart(Vertical):
    """Worker latency (with the SLO) and queue lag, side by side, under one border."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: ChartData | None = None
        self._drawn: ChartData | None = None
        self._frame: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield TextStatic(id="latency-message")
        with Horizontal(id="latency-plots"):
            yield SeriesPlot("worker latency", slo=True, id="latency-worker")
            yield SeriesPlot("queue lag", slo=False, id="latency-lag")

    def on_mount(self) -> None:
        self.border_title = "Latency"
        self.query_one("#latency-message").display = False

    def show(self, data: ChartData) -> None:
        """Keep ``data``; draw it now if the chart is on screen, else when it is again."""
        self._data = data
        if self._on_screen():
            self._draw()

    def _on_screen(self) -> bool:
        """Visible: its screen is on top, or only modals (see-through) are above it."""
        stack = self.app.screen_stack
        if self.screen not in stack:
            return False
        above = stack[stack.index(self.screen) + 1 :]
        return all(isinstance(screen, ModalScreen) for screen in above)

    def catch_up(self) -> None:
        """The dashboard is on screen again: draw what arrived meanwhile."""
        if self._data is not self._drawn:
            self._draw()

    def restyle(self) -> None:
        self._drawn = None
        self.catch_up()

    def _draw(self) -> None:
        data = self._data
        if data is None:
            return
        self._drawn = data
        # Each of these repaints or re-lays out the chart when set: only on change (every tick).
        message = self.query_one("#latency-message", TextStatic)
        plots = self.query_one("#latency-plots")
        frame = (data.message, data.waiting, data.window_s)
        if frame != self._frame:
            self._frame = frame
            self.set_class(data.message is not None, "-message")
            window = f"{data.window_s:g}s window"
            self.border_subtitle = safe(data.waiting or "") if data.message is None else None
            self.border_title = safe(f"Latency, ms · p50/p95/p99 over a {window} · worker logs")
            plots.display = data.message is None
            message.display = data.message is not None
        if data.message is not None:
            message.show(safe(data.message))
            return
        if data.waiting is None and data.counts is not None and data.counts.invocations:
            self.border_subtitle = safe(counts_label(data.counts))
        colours = SeriesColours.from_theme(self.app.theme_variables)
        self.query_one("#latency-worker", SeriesPlot).draw(
            data.series.latency, data, colours, data.latency_unavailable, data.latency_title
        )
        self.query_one("#latency-lag", SeriesPlot).draw(
            data.series.queue_lag, data, colours, data.lag_unavailable
        )


def counts_label(counts: WindowCounts) -> str:
    """``42 invocations · 3 cold · 1 failed · 2 timeouts · 5 error lines`` (zeros left out)."""
    parts = [f"{counts.invocations} invocations"]
    for value, label in (
        (counts.cold_starts, "cold"),
        (counts.invocation_errors, "failed"),
        (counts.timeouts, "timeouts"),
        (counts.errors, "error lines"),
    ):
        if value:
            parts.append(f"{value} {label}")
    return " · ".join(parts)
