"""Quitting the app with the DLQ screen open gives every browsed message back before it exits:
ctrl+q, the palette's Quit over a replay dialog, and ``app.exit()`` in the middle of a replay
(the engine is cancelled and finishes its batches in flight). A dead endpoint cannot hang the
exit. Every state is checked from outside with boto3, after the app has exited."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.screen import DlqScreen
from tests.support.faults import FaultProxy, Request
from tests.support.sqs import depth
from tests.support.tui import (
    NOW,
    LiveQueues,
    frozen_clock,
    live_runtime,
    run_palette_command,
    wait_for,
)
from tests.support.tui_dlq import (
    SIZE,
    confirm_dialog,
    drain_bodies,
    fill_dlq,
    live_app,
    open_dlq_screen,
)


async def test_ctrl_q_on_the_dlq_screen_makes_the_browsed_messages_visible_again(
    moto_server: MotoServer, live_queues: LiveQueues, boto3_sqs: Any
) -> None:
    fill_dlq(live_queues, 5)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await open_dlq_screen(pilot, expect=5)
        assert depth(boto3_sqs, live_queues.dlq) == (0, 5)  # held while browsing
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert depth(boto3_sqs, live_queues.dlq) == (5, 0)  # at once, not after 120 s


async def test_palette_quit_over_the_replay_dialog_gives_everything_back(
    moto_server: MotoServer, live_queues: LiveQueues, boto3_sqs: Any
) -> None:
    fill_dlq(live_queues, 5)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await open_dlq_screen(pilot, expect=5)
        await pilot.press("space", "space")
        await confirm_dialog(pilot, app)
        assert isinstance(app.screen_stack[-2], DlqScreen)
        await run_palette_command(pilot, "quit", "Quit")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert depth(boto3_sqs, live_queues.dlq) == (5, 0)
    assert depth(boto3_sqs, live_queues.orders) == (0, 0)  # the dialog was never confirmed


async def test_exit_during_a_replay_finishes_the_batches_in_flight_and_loses_nothing(
    moto_server: MotoServer, live_queues: LiveQueues, boto3_sqs: Any
) -> None:
    n = 40
    bodies = fill_dlq(live_queues, n)
    # ~8 s for all at 5 msg/s; one pipeline: a cancel waits for one batch of 5 at most.
    runtime, _ = live_runtime(moto_server, replay={"rate": 5.0, "concurrency": 1})
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen_clock)
    dlq = QueueStatus("orders-dlq", live_queues.dlq, n, is_dlq=True)
    app.call_later(app.apply_snapshot, MetricsSnapshot((dlq,), NOW, "ok"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=n)
        await confirm_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.engine is not None, what="the replay running")
        engine = screen.session.engine
        assert engine is not None
        await wait_for(pilot, lambda: engine.result.moved >= 1, what="a first batch moved")
        app.exit()  # not the quit action: Textual cancels the workers, then unmounts the screens
    result = engine.result
    assert engine.cancelled and result.cancelled and result.duplicated == 0
    moved = drain_bodies(boto3_sqs, live_queues.orders)
    assert len(moved) == result.moved < n  # every acknowledged send got its delete
    assert depth(boto3_sqs, live_queues.dlq) == (n - result.moved, 0)
    left = drain_bodies(boto3_sqs, live_queues.dlq)
    assert sorted(moved + left) == sorted(bodies)  # each message once: DLQ or target


async def test_a_dead_endpoint_cannot_hang_the_exit(
    moto_server: MotoServer,
    live_queues: LiveQueues,
    boto3_sqs: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fill_dlq(live_queues, 3)
    proxy = FaultProxy(moto_server.endpoint_url)
    try:
        await quit_while_the_endpoint_hangs(proxy, live_queues)
    finally:
        proxy.close()
    assert depth(boto3_sqs, live_queues.dlq) == (0, 3)  # back by their visibility timeout
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def quit_while_the_endpoint_hangs(proxy: FaultProxy, live_queues: LiveQueues) -> None:
    app = live_app(proxy, live_queues)  # type: ignore[arg-type]  # moto, through the proxy
    app.exit_deadline_s = 0.5
    released: list[str] = []

    def dead(req: Request) -> str | None:
        if req.operation == "ChangeMessageVisibilityBatch":
            released.append(req.operation)
            return "hang"
        return None

    async with app.run_test(size=SIZE) as pilot:
        await open_dlq_screen(pilot, expect=3)
        proxy.rules.append(dead)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert released  # the release was tried, and given up at the deadline
    assert app.runtime._clients is None  # the clients were closed all the same
