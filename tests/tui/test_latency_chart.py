"""The dashboard's latency chart: gaps, axes, redraw rate, theme, and the no-source message."""

from __future__ import annotations

from typing import Any

from textual_plotext import PlotextPlot

from edgewatch.logs.latency import LatencyPoint
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.latency_chart import (
    LatencyChart,
    SeriesPlot,
    bucket_seconds,
    segments,
    value_label,
    x_ticks,
    y_ticks,
)
from tests.support.denied import DeniedServer
from tests.support.tui import NOW, wait_for
from tests.support.tui_logs import (
    feed,
    fixed_latency,
    logs_app,
    many,
    open_logs,
    unconfigured_logs_app,
)

SIZE = (120, 36)


def test_gaps_split_the_lines_and_x_is_seconds_before_now() -> None:
    points = [
        LatencyPoint(100, 3, 1.0, 2.0, 3.0),
        LatencyPoint(101, 0, None, None, None),
        LatencyPoint(102, 1, 5.0, 5.0, 5.0),
        LatencyPoint(103, 1, 6.0, 6.0, 6.0),
    ]
    assert list(segments(points, "p95", now_s=103)) == [([-3], [2.0]), ([-1, 0], [5.0, 6.0])]
    assert list(segments(points[1:2], "p50", now_s=103)) == []


def test_thinning_keeps_spikes_and_moves_only_when_a_span_closes() -> None:
    points = [LatencyPoint(t, 1, 1.0, 1.0, 1.0) for t in range(90, 105)]
    points[4] = LatencyPoint(94, 1, 50.0, 50.0, 50.0)  # a spike inside the 93..95 span
    points[8] = LatencyPoint(98, 0, None, None, None)  # a one-second gap does not split a span

    def picture(now_s: int) -> list[tuple[list[int], list[float]]]:
        return list(segments([p for p in points if p.t <= now_s], "p99", now_s, bucket_s=3))

    # spans 90-92, 93-95, 96-98, 99-101, placed at their ends; the newest closed one is "now"
    assert picture(101) == [([-9, -6, -3, 0], [1.0, 50.0, 1.0, 1.0])]
    assert picture(102) == picture(103) == picture(101)  # the open span 102-104 is left out
    assert picture(104) == [([-12, -9, -6, -3, 0], [1.0, 50.0, 1.0, 1.0, 1.0])]  # it closed
    # a span cut by the start of the history is left out (it would change every second)
    assert next(iter(segments(points[1:], "p99", 104, 3)))[0][0] == -9
    assert bucket_seconds(300, 20) == 8 and bucket_seconds(300, 1000) == 5


def test_axes() -> None:
    assert x_ticks(300) == (
        [-300, -240, -180, -120, -60, 0],
        ["300s", "240s", "180s", "120s", "60s", "now"],
    )
    assert y_ticks(385.0) == ([0, 100, 200, 300], ["0", "100", "200", "300"])
    assert y_ticks(27.5)[1] == ["0", "10.0", "20.0"]
    assert y_ticks(0) == ([0.0], ["0"])
    assert [value_label(v) for v in (None, 8.14, 212.6, 12_345.0)] == ["—", "8.1", "213", "12.3k"]


def draws(app: Any) -> list[int]:
    """Count the chart's redraws (each redraw rebuilds both plots)."""
    chart = app.screen.query_one(LatencyChart)
    calls: list[int] = []
    original = chart._draw

    def counting() -> None:
        calls.append(1)
        original()

    chart._draw = counting
    return calls


def legend(app: Any, plot_id: str) -> str:
    return str(app.screen.query_one(f"#{plot_id}", SeriesPlot).query_one(TextStatic).render())


async def test_the_chart_redraws_once_per_tick_and_only_on_screen() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        app.logs.feed.latency = fixed_latency()
        calls = draws(app)
        feed(app, *many(0, 500))  # lines alone do not redraw: the tick does
        await pilot.pause()
        assert calls == []
        app.logs.tick(NOW)
        assert len(calls) == 1
        worker = legend(app, "latency-worker")
        assert "p50 " in worker and "SLO 250" in worker
        assert "SLO" not in legend(app, "latency-lag")

        await open_logs(pilot)
        app.logs.tick(NOW + 1)
        app.logs.tick(NOW + 2)
        assert len(calls) == 1  # hidden: not drawn
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(calls) == 2, what="one catch-up draw on return")
        await pilot.pause()
        assert len(calls) == 2


async def test_the_chart_follows_the_theme() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        app.logs.feed.latency = fixed_latency()
        app.logs.tick(NOW)
        plot = app.screen.query_one("#latency-worker").query_one(PlotextPlot)
        dark = plot.render().plain, str(plot.render().spans[0].style)  # type: ignore[union-attr]
        app.theme = "edgewatch-light"
        await pilot.pause()
        light = plot.render().plain, str(plot.render().spans[0].style)  # type: ignore[union-attr]
        assert dark[0] == light[0] and dark[1] != light[1]


async def test_waiting_for_lines_is_said_not_an_empty_plot() -> None:
    app = logs_app(groups=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chart = app.screen.query_one(LatencyChart)
        message = chart.query_one("#latency-message", TextStatic)
        assert not message.display and chart.query_one("#latency-plots").display
        assert str(chart.border_subtitle) == "waiting for worker log lines…"


async def test_no_source_is_a_message_not_an_empty_plot() -> None:
    """Nothing configured and the consumers cannot be looked up (access denied): said."""
    server = DeniedServer()
    try:
        app = unconfigured_logs_app(server.endpoint_url)
        async with app.run_test(size=SIZE) as pilot:
            app.logs.start(tick=False)
            await wait_for(pilot, lambda: app.logs.feed.unavailable is not None, what="no source")
            app.logs.redraw()
            await pilot.pause()
            chart = app.screen.query_one(LatencyChart)
            message = chart.query_one("#latency-message", TextStatic)
            assert message.display and not chart.query_one("#latency-plots").display
            shown = str(message.render())
            assert shown.startswith("no log group to read") and "consumer discovery" in shown
    finally:
        server.close()


async def test_the_chart_is_hidden_on_a_small_terminal() -> None:
    app = logs_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one(LatencyChart).display
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: app.screen.query_one(LatencyChart).display, what="shown")
