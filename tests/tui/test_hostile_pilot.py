"""Hostile data and faults in the running console (Pilot, real moto over HTTP): a body nested
5,000 deep, a log event nested 5,000 deep, SIGTERM while browsing a DLQ. Nothing may crash a
screen, stop the tail for good, or keep messages hidden after the console has gone."""

from __future__ import annotations

import json
import os
import signal
import time

from edgewatch.config import ReplaySettings
from edgewatch.logs.tail import LogTail
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.screen import DlqScreen, DlqTarget
from edgewatch.tui.logs.screen import LogsScreen
from edgewatch.tui.logs.view import LogView
from tests.support.logs import LogsArranger
from tests.support.sqs import depth, fill
from tests.support.tui import LiveQueues, live_runtime, wait_for
from tests.support.tui_dlq import SIZE, live_app, open_dlq_screen, text_of
from tests.support.tui_logs import GROUP, RID, ScriptedSource, open_logs

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
STREAM = "2027/01/15/[$LATEST]hostile"


async def test_dlq_screen_shows_a_body_nested_5000_deep_as_text_and_keeps_working(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    live_queues.sqs.send_message(QueueUrl=live_queues.dlq, MessageBody=DEEP)  # first: highlighted
    for i in range(2):
        live_queues.sqs.send_message(
            QueueUrl=live_queues.dlq, MessageBody=json.dumps({"request_id": f"r-{i}"})
        )
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        details = []
        for row in (0, 1, 2, 1, 0):  # every row's detail renders, the deep one included
            screen.table.move_cursor(row=row)
            await pilot.pause()
            assert isinstance(app.screen, DlqScreen), "the screen crashed"
            details.append(text_of(screen, "#dlq-detail"))
        deep = [d for d in details if "nested deeper than" in d]
        assert deep and all("shown as text" in d for d in deep)
        assert not any("RecursionError" in d for d in details)


def _logs_app(moto_server: MotoServer) -> EdgewatchApp:
    runtime, _ = live_runtime(
        moto_server, logs={"groups": [GROUP], "poll_interval": 0.2, "overlap_s": 2.0}
    )
    return EdgewatchApp(runtime)


def _event(at_ms: int, n: int) -> tuple[int, str]:
    body = {"timestamp": at_ms, "level": "INFO", "message": f"event {n}", "request_id": RID,
            "latency_ms": 5.0 + n}  # fmt: skip
    return at_ms, json.dumps(body)


async def test_a_log_event_nested_5000_deep_never_stops_the_tail_or_the_chart(
    moto_server: MotoServer,
) -> None:
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    now = int(time.time() * 1000)
    logs.put(
        GROUP, STREAM, [_event(now - 3000, 1), (now - 2000, DEEP_OBJECT), _event(now - 1000, 2)]
    )
    app = _logs_app(moto_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: len(view.lines) == 3, what="all three lines")
        logs.put(GROUP, STREAM, [_event(now + 1000, 3)])  # the tail is still following
        await wait_for(pilot, lambda: len(view.lines) == 4, what="a line after the deep one")
        feed = app.logs.feed
        assert feed.failed is None and feed.status().level == "ok", feed.status()
        assert "following" in str(screen.query_one("#logs-status").render())
        assert app.logs.chart_data().waiting is None  # the chart is fed, not "RecursionError"


async def test_r_restarts_a_tail_whose_source_died(moto_server: MotoServer) -> None:
    """A source that dies (any unexpected error) is said as "stopped"; ``r`` reads again."""
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    now = int(time.time() * 1000)
    logs.put(GROUP, STREAM, [_event(now - 1000, 1)])
    app = _logs_app(moto_server)
    app.auto_poll = False  # no poller, no automatic tail: the test starts the dead one

    class Dying(ScriptedSource):
        async def run(self, emit, running=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("source died")

    async with app.run_test(size=SIZE) as pilot:
        app.logs.start(LogTail([Dying()]), tick=False)
        screen = await open_logs(pilot)
        assert isinstance(screen, LogsScreen)
        await wait_for(pilot, lambda: app.logs.feed.failed is not None, what="the stopped tail")
        status = str(screen.query_one("#logs-status").render())
        assert "stopped" in status and "following" not in status and "r restarts" in status
        await pilot.press("r")
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: len(view.lines) == 1, what="the line, read again")
        assert app.logs.feed.failed is None


async def test_sigterm_while_browsing_gives_the_messages_back_and_exits_143(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    for i in range(3):
        live_queues.sqs.send_message(QueueUrl=live_queues.dlq, MessageBody=f"m{i}")
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await open_dlq_screen(pilot, expect=3)
        assert depth(live_queues.sqs, live_queues.dlq) == (0, 3)  # browsing leases them
        # the console owns SIGTERM now (else the signal would end the test run itself)
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 128 + signal.SIGTERM
    assert depth(live_queues.sqs, live_queues.dlq) == (3, 0)  # visible again at once


async def test_an_outage_shows_the_dlq_as_failed_not_empty_and_r_reloads_it(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    for i in range(3):
        live_queues.sqs.send_message(QueueUrl=live_queues.dlq, MessageBody=f"m{i}")
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None, what="the snapshot")
        moto_server.stop()  # a real outage: nothing listens on the endpoint
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="the DLQ screen")
        screen = app.screen
        assert isinstance(screen, DlqScreen)
        await wait_for(  # it settles: as failed (or, wrongly, as an empty list)
            pilot,
            lambda: any(
                said in text_of(screen, "#dlq-title")
                for said in ("receive failed", "all visible messages shown")
            ),
            what="the receive to end",
        )
        await pilot.pause()
        title, detail = text_of(screen, "#dlq-title"), text_of(screen, "#dlq-detail")
        assert "receive failed" in title and "r retries" in title
        assert "all visible messages shown" not in title
        assert "Could not receive" in detail and "No message to show" not in detail
        moto_server.start()
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.table.row_count == 3, what="the reloaded list")
        assert "receive failed" not in text_of(screen, "#dlq-title")


async def test_paging_holds_a_bounded_window_and_keeps_every_held_lease(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    """120 messages, a window of 40, pages of 20 and a 3 s lease: the screen never holds more
    than its window (the rest are given back), says how many the DLQ has, and SQS never sees
    a held message become visible (in flight == held, whenever looked at)."""
    fill(live_queues.sqs, live_queues.dlq, ({"MessageBody": f"m{i:03d}"} for i in range(120)))
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None, what="the snapshot")
        screen = DlqScreen(
            app.runtime.clients,
            DlqTarget(live_queues.dlq, "orders-dlq"),
            replay=ReplaySettings(browse_window=40),
            clock=app.clock,
            autoload=False,
        )
        screen.session.browser.visibility_timeout = 3  # leases must be renewed while paging
        await app.push_screen(screen)
        for _ in range(8):
            screen.load(20)
            await wait_for(pilot, lambda: not screen.session.loading, what="a page")
            held = screen.session.held
            assert held <= 40 and screen.table.row_count <= 40
            assert depth(live_queues.sqs, live_queues.dlq)[1] == held  # no lease lapsed
        assert screen.session.given_back > 0
        title = text_of(screen, "#dlq-title")
        assert "held of ~120 in the DLQ" in title, title
        # Past a whole lease length after the last page, every held lease has been renewed
        # and SQS still counts exactly the held messages in flight.
        keeper = screen.session.browser.keeper
        assert keeper is not None
        renewed_after = time.monotonic() + 3
        await wait_for(
            pilot,
            lambda: (keeper.earliest_expiry() or 0) > renewed_after,
            timeout=30,
            what="every held lease renewed",
        )
        assert depth(live_queues.sqs, live_queues.dlq)[1] == screen.session.held
