"""Did the replay fix it? The DLQ screen watches for replayed messages coming back.

On the embedded stack: poison events (the stack's consumer fails them) sit in the DLQ, the DLQ
screen replays them, the consumer fails them again, they come back, and the screen says so.
The wording while watching and at the end is checked on fed reports (no AWS, no timing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edgewatch.aws import AwsClients
from edgewatch.config import ReplaySettings, Settings
from edgewatch.dlq.bounce import BounceReport
from edgewatch.runtime import Runtime
from edgewatch.send import SendOptions, TemplateEvents, resolve_queue, send_events
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.simulator.stack import EmbeddedStack
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.screen import DlqScreen, DlqTarget
from tests.support.tui import THRESHOLDS, fixed_app, frozen_clock, wait_for
from tests.support.tui_dlq import QUIET_PIPELINE, SIZE, text_of


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(seed=11, config=QUIET_PIPELINE) as running:
        yield running


@pytest.mark.slow
async def test_replayed_poison_comes_back_and_the_screen_says_so(stack: EmbeddedStack) -> None:
    res = stack.resources
    clients = AwsClients(stack.target)
    try:  # two events the stack's consumer rejects, straight into the DLQ
        dlq = await resolve_queue(clients, res.dlq.url)
        sent = await send_events(
            clients, dlq, TemplateEvents("query", poison=True, seed=3), SendOptions(count=2)
        )
    finally:
        await clients.aclose()
    assert sent.sent == 2, sent
    replay = ReplaySettings(bounce_watch_s=300, bounce_interval_s=0.5)
    settings = Settings(poll_interval=0.5, thresholds=THRESHOLDS, replay=replay)
    app = EdgewatchApp(Runtime(settings, stack.target, stack=stack))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None and res.queue.url in app.get_default_screen().table.keys
            ),
            what="the source queue on the dashboard",
        )
        table = app.get_default_screen().table
        table.move_cursor(row=table.keys.index(res.queue.url))
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="the DLQ screen")
        screen = app.screen
        assert isinstance(screen, DlqScreen) and screen.target.url == res.dlq.url
        await wait_for(pilot, lambda: len(screen.session.messages) == 2, what="both listed")
        originals = set(screen.session.messages)
        await pilot.press("space", "space", "R")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ReplayConfirmScreen), what="the confirmation"
        )
        await pilot.press("y")
        await wait_for(
            pilot, lambda: screen.session.result is not None, timeout=30, what="the replay"
        )
        assert screen.session.result is not None and screen.session.result.moved == 2
        assert screen.bounce_watching
        assert "Watching for replayed messages coming back: " in text_of(screen, "#dlq-counts")
        # The consumer fails them again: maxReceiveCount receives later they are back.
        await wait_for(
            pilot,
            lambda: screen.bounce is not None and not screen.bounce_watching,
            timeout=120,
            what="the bounce watch to end",
        )
        report = screen.bounce
        assert report is not None and report.error is None
        assert report.replayed == 2 and report.came_back == 2
        assert set(report.message_ids) == originals
        counts = text_of(screen, "#dlq-counts")
        assert counts.startswith("Done: moved 2 to ")
        assert "2 of 2 replayed message(s) came back to " in counts
        assert "the fix did not work for them" in counts
        back = set(screen.session.messages)  # they are in the list again, with new ids
        assert len(back) == 2 and not back & originals
        assert any("came back" in n.message for n in app._notifications)


def fed_screen() -> tuple[EdgewatchApp, DlqScreen]:
    app = fixed_app()
    target = DlqTarget("http://sqs.edgewatch.test:4566/000000000000/orders-dlq", "orders-dlq")
    screen = DlqScreen(
        app.runtime.clients,
        target,
        replay=ReplaySettings(bounce_watch_s=120),
        clock=frozen_clock,
        autoload=False,
    )
    return app, screen


async def test_the_bounce_line_updates_as_they_arrive_then_gives_the_verdict() -> None:
    app, screen = fed_screen()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        await pilot.pause()
        screen.bounce_watching = True

        def feed(came_back: int, watched_s: float, *, watching: bool) -> None:
            report = BounceReport("orders-dlq", 3, came_back, watched_s=watched_s)
            screen.post_message(DlqScreen.BounceScanned(report, None, watching))

        feed(0, 5, watching=True)
        await pilot.pause()
        assert "0 of 3 came back so far · 115 s left" in text_of(screen, "#dlq-counts")
        feed(2, 40, watching=True)
        await pilot.pause()
        assert "2 of 3 came back so far · 80 s left" in text_of(screen, "#dlq-counts")
        feed(2, 120, watching=False)
        await pilot.pause()
        counts = text_of(screen, "#dlq-counts")
        assert "2 of 3 replayed message(s) came back to orders-dlq within 120 s" in counts
        assert "the fix did not work for them" in counts
        assert any("2 of 3 replayed" in n.message for n in app._notifications)
        feed(3, 130, watching=False)  # a late report after the end changes nothing
        await pilot.pause()
        assert "2 of 3 replayed" in text_of(screen, "#dlq-counts")


async def test_none_came_back_within_the_window() -> None:
    app, screen = fed_screen()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        await pilot.pause()
        screen.bounce_watching = True
        report = BounceReport("orders-dlq", 4, 0, watched_s=120)
        screen.post_message(DlqScreen.BounceScanned(report, None, False))
        await pilot.pause()
        counts = text_of(screen, "#dlq-counts")
        assert "None of the 4 replayed message(s) came back to orders-dlq within 120 s" in counts
        assert any("None of the 4" in n.message for n in app._notifications)
