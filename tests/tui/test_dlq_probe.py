"""What a new operator tripped over on the DLQ screen: the Age column ages live, the replay
dialog's in-flight note counts only others' messages, ``r`` while paused and ``m`` with all
shown say why nothing happened, read-only hides Replay from the footer, and ``?`` lists Enter."""

from __future__ import annotations

import html
import re
from typing import Any

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from edgewatch.config import ReplaySettings
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.common.help import HelpScreen
from edgewatch.tui.dlq.screen import DlqScreen, DlqTarget
from tests.support.notes import notes
from tests.support.sqs import depth
from tests.support.tui import NOW, LiveQueues, fixed_app, wait_for
from tests.support.tui_dlq import (
    SIZE,
    confirm_dialog,
    confirm_text,
    fill_dlq,
    fixed_messages,
    live_app,
    open_dlq_screen,
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def fed_screen(clock: Clock, *, read_only: bool = False) -> tuple[EdgewatchApp, DlqScreen]:
    app = fixed_app(read_only=read_only)
    target = DlqTarget("http://sqs.edgewatch.test:4566/000000000000/orders-dlq", "orders-dlq")
    screen = DlqScreen(
        app.runtime.clients,
        target,
        replay=ReplaySettings(),
        read_only=read_only,
        clock=clock,
        autoload=False,
    )
    return app, screen


def ages(screen: DlqScreen) -> list[str]:
    table = screen.table
    return [table.get_cell(row.key, "age").plain for row in table.ordered_rows]


def footer_keys(screen: DlqScreen, *, enabled: bool = False) -> list[str]:
    keys = screen.query_one(Footer).query(FooterKey)
    return [k.description for k in keys if not (enabled and k.has_class("-disabled"))]


async def test_the_age_column_ticks_live_without_a_full_render() -> None:
    clock = Clock()
    app, screen = fed_screen(clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        screen.show_messages(fixed_messages(), exhausted=True)
        await pilot.pause()
        assert ages(screen) == ["12m34s", "2h01m", "12m34s"]
        fills: list[int] = []
        original_fill = screen.table.fill
        screen.table.fill = lambda *a, **kw: fills.append(1) or original_fill(*a, **kw)  # type: ignore[method-assign]
        clock.now += 5
        assert screen.table.tick_ages(screen.session, clock.now) == 2  # 2h01m did not change
        assert ages(screen) == ["12m39s", "2h01m", "12m39s"]
        clock.now += 1  # and the screen's own timer does it every second
        await wait_for(pilot, lambda: ages(screen)[0] == "12m40s", what="the age ticking")
        assert fills == []  # never a rebuild of the rows


async def test_the_in_flight_note_counts_only_others_messages(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 3)
    other = live_queues.sqs.receive_message(  # another consumer holds one
        QueueUrl=live_queues.dlq, MaxNumberOfMessages=1, VisibilityTimeout=600
    )
    assert len(other["Messages"]) == 1
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=2)
        assert depth(live_queues.sqs, live_queues.dlq) == (0, 3)  # SQS: 3 in flight
        dialog = await confirm_dialog(pilot, app)  # R on all
        text = " ".join(confirm_text(dialog).split())
        assert "1 DLQ message(s) are in flight elsewhere (invisible, held by another" in text
        assert "the 2 message(s) this browse held were given back and are replayed" in text
        assert "3 DLQ message(s)" not in text
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the DLQ screen")
        await wait_for(pilot, lambda: screen.table.row_count == 2, what="the list read again")
        await pilot.press("space")
        dialog = await confirm_dialog(pilot, app)  # R on one held message: no in-flight note
        assert "in flight" not in confirm_text(dialog)
        await pilot.press("n")


async def test_r_while_paused_says_why_nothing_was_polled(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 1)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=1)
        await pilot.press("p")
        assert app.poller.paused
        await pilot.press("r")
        await pilot.pause()
        assert "Polling is paused: press p to resume." in notes(app)
        assert screen.table.row_count == 1


async def test_m_with_everything_shown_says_so_then_finds_new_ones(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 2)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=2)
        assert screen.session.exhausted
        await wait_for(
            pilot, lambda: "More" in footer_keys(screen, enabled=True), what="m, not greyed"
        )
        await pilot.press("m")
        await wait_for(
            pilot,
            lambda: any(
                n.startswith("Nothing more: the DLQ gave no new message") for n in notes(app)
            ),
            what="the explanation",
        )
        assert any("(all 2 visible ones are shown)" in n for n in notes(app))
        fill_dlq(live_queues, 1)  # a new one arrives: m finds it, without a note
        count = len(notes(app))
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.table.row_count == 3, what="the new message")
        assert len(notes(app)) == count


async def test_read_only_hides_replay_from_the_footer_and_r_still_explains() -> None:
    app, screen = fed_screen(Clock(), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        screen.show_messages(fixed_messages(), exhausted=True)
        await wait_for(pilot, lambda: "Select" in footer_keys(screen), what="the footer")
        assert "Replay" not in " ".join(footer_keys(screen))
        await pilot.press("R")
        await pilot.pause()
        assert any(n.startswith("Read-only mode: replay is refused") for n in notes(app))
    app, screen = fed_screen(Clock())
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        await wait_for(pilot, lambda: "Replay" in footer_keys(screen), what="R Replay shown")


def help_keys(app: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", str(app.screen.query_one("#help-keys").render())))


async def test_help_on_the_dlq_screen_lists_enter() -> None:
    app, screen = fed_screen(Clock())
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        screen.show_messages(fixed_messages(), exhausted=True)
        await pilot.pause()
        assert screen.table.has_focus  # the list binds Enter too: it must not hide the screen's
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        keys = help_keys(app)
        assert "Keys on this screen (DLQ)" in keys
        for key, what in (
            ("⏎", "Details"),  # Enter, as Textual displays it
            ("space", "Select"),
            ("R", "Replay"),
            ("m", "More"),
        ):
            assert re.search(rf"(^| ){re.escape(key)} {what}", keys), (key, keys)
