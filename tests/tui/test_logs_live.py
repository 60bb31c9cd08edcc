"""The Logs screen and the chart against real CloudWatch Logs events in moto (over HTTP).

The app runs its real tail (``FilterLogEvents``, followed) on a group in the moto server: lines
put from the outside appear in the Logs screen, ``show_request`` narrows to exactly one
request's lines (older ones than the live backfill are found by the request search), and the
latency chart gets its samples from the same stream. Pause stops the ``FilterLogEvents`` calls.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dashboard.latency_chart import LatencyChart
from edgewatch.tui.logs.screen import LogsScreen
from edgewatch.tui.logs.view import LogView
from tests.support.logs import LogsArranger
from tests.support.tui import live_runtime, wait_for
from tests.support.tui_logs import GROUP, OTHER_RID, RID, open_logs

SIZE = (120, 36)
QUIET_WINDOW_S = 1.0  # five log polls at 0.2 s: a resumed tail would call several times
STREAM = "2027/01/15/[$LATEST]live"


def event(at_ms: int, rid: str, n: int, level: str = "INFO") -> tuple[int, str]:
    body = {
        "timestamp": at_ms, "level": level, "message": f"event {n}", "request_id": rid,
        "latency_ms": 5.0 + n, "queue_lag_ms": 120 + n,
    }  # fmt: skip
    return at_ms, json.dumps(body)


def live_app(moto_server: MotoServer) -> tuple[EdgewatchApp, Any]:
    runtime, clients = live_runtime(
        moto_server, logs={"groups": [GROUP], "poll_interval": 0.2, "overlap_s": 2.0}
    )
    return EdgewatchApp(runtime), clients


def request_ids(view: LogView) -> list[str | None]:
    return [line.request_id for line in view.lines]


async def test_lines_arrive_and_show_request_filters_to_exactly_that_request(
    moto_server: MotoServer,
) -> None:
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    now = int(time.time() * 1000)
    old = now - 30 * 60_000  # older than the live tail's 10-minute backfill
    logs.put(GROUP, STREAM, [event(old, RID, 0, "ERROR")])
    logs.put(
        GROUP, STREAM, [event(now - 5_000 + i, (RID, OTHER_RID)[i % 2], i) for i in range(1, 7)]
    )

    app, _ = live_app(moto_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: len(view.lines) == 6, what="the six recent lines")
        assert [line.get("message") for line in view.lines] == [f"event {i}" for i in range(1, 7)]

        logs.put(GROUP, STREAM, [event(now + 1_000, OTHER_RID, 7), event(now + 1_001, RID, 8)])
        await wait_for(pilot, lambda: len(view.lines) == 8, what="followed lines")
        assert view.follow and view.cursor == 7

        app.show_request(RID)
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, LogsScreen)
                and "searched" in str(app.screen.query_one("#logs-filter-line").render())
            ),
            what="the request search to finish",
        )
        view = app.screen.query_one(LogView)
        # exactly that request's lines, the 30-minute-old failure included, in time order
        assert request_ids(view) == [RID] * 5
        assert [line.get("message") for line in view.lines] == [
            "event 0", "event 2", "event 4", "event 6", "event 8",
        ]  # fmt: skip

        logs.put(GROUP, STREAM, [event(now + 2_000, RID, 9), event(now + 2_001, OTHER_RID, 10)])
        await wait_for(pilot, lambda: len(view.lines) == 6, what="a live line of the request")
        assert request_ids(view) == [RID] * 6  # and no duplicate from search + tail

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LogsScreen), what="back")
        # the same stream fed the latency chart
        app.logs.tick()
        series = app.logs.feed.latency.series()
        assert series.last("latency") is not None and series.last("latency").count > 0  # type: ignore[union-attr]
        chart = app.screen.query_one(LatencyChart)
        assert chart.query_one("#latency-plots").display


async def test_pause_stops_log_reads_and_resume_restarts_them(moto_server: MotoServer) -> None:
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    now = int(time.time() * 1000)
    logs.put(GROUP, STREAM, [event(now - 1_000, RID, 1)])
    app, clients = live_app(moto_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: len(view.lines) == 1, what="the first line")
        await pilot.press("p")
        assert app.logs.paused
        gate = app.logs._tail._running  # type: ignore[union-attr]
        await wait_for(  # the request in flight (if any) done, the source waits at the gate
            pilot, lambda: len(gate._waiters) == 1, what="the source parked by the pause"
        )
        calls = clients.calls.count("FilterLogEvents")
        await asyncio.sleep(QUIET_WINDOW_S)  # asserting an absence: nothing may happen here
        await pilot.pause()
        assert clients.calls.count("FilterLogEvents") == calls

        logs.put(GROUP, STREAM, [event(now, RID, 2)])
        await pilot.press("p")
        await wait_for(pilot, lambda: len(view.lines) == 2, what="the line put while paused")
        assert clients.calls.count("FilterLogEvents") > calls
