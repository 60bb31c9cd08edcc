"""The DLQ screen against moto, key by key: ``d`` opens it, ``space`` selects, ``/`` filters,
Enter shows the detail full screen, ``l`` jumps to the logs, ``R`` replays (confirmation with a
dry run → progress → summary), Esc cancels or goes back (releasing what was browsed), and
read-only mode refuses replay. Every state is checked from outside with boto3."""

from __future__ import annotations

import json

from textual.widgets import Input

from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dashboard.screen import DashboardScreen
from edgewatch.tui.dlq.screen import DlqScreen
from edgewatch.tui.logs.screen import LogsScreen
from tests.support.notes import notes
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
    confirm_text,
    drain_bodies,
    fill_dlq,
    live_app,
    open_dlq_screen,
    text_of,
)


async def test_d_opens_the_dlq_and_esc_releases_what_was_browsed(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    bodies = fill_dlq(live_queues, 3)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        assert screen.target.name == "orders-dlq"  # the highlighted "orders" row's DLQ
        assert "orders-dlq · 3 shown" in text_of(screen, "#dlq-title")
        assert "ApproximateReceiveCount raised by 1" in text_of(screen, "#dlq-note")
        assert depth(live_queues.sqs, live_queues.dlq) == (0, 3)  # held while browsing
        detail = text_of(screen, "#dlq-detail")
        shown = screen.highlighted()
        assert shown is not None and shown.body in bodies
        assert f'"request_id": "{shown.request_id}"' in detail and "receives" in detail
        await pilot.press("down")
        assert screen.highlighted() is not shown  # the detail follows the cursor
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await wait_for(
            pilot,
            lambda: depth(live_queues.sqs, live_queues.dlq) == (3, 0),
            what="the browsed messages visible again",
        )


async def test_the_palette_and_a_dlq_row_open_it_and_a_queue_without_one_says_so(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 1)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None, what="snapshot")
        await pilot.pause()
        await pilot.press("down", "down")  # payments: no RedrivePolicy
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert "payments has no dead-letter queue (no RedrivePolicy)." in notes(app)
        await pilot.press("up")  # orders-dlq itself
        await run_palette_command(pilot, "dlq", "DLQ")
        await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="the DLQ screen")
        assert app.screen.target.url == live_queues.dlq  # type: ignore[attr-defined]
        assert "d" not in {b.binding.key for b in app.screen.active_bindings.values()}


async def test_space_selects_and_r_replays_only_the_selection(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 5)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=5)
        rows = list(screen.session.messages.values())
        await pilot.press("space", "space")  # space selects and moves down
        assert len(screen.session.selected) == 2 and "2 selected" in text_of(screen, "#dlq-title")
        await pilot.press("up", "space", "space")  # unselect the second, select the third
        assert screen.session.selected == {rows[0].message_id, rows[2].message_id}
        chosen = [rows[0].body, rows[2].body]
        dialog = await confirm_dialog(pilot, app)
        text = confirm_text(dialog)
        assert "Replay 2 selected message(s)" in text and "to   orders" in text
        assert "mode client-side" in text and "Dry run: would move 2" in text
        assert dialog.border_title is None  # the title is on the box
        assert "Replay 2 message(s) to orders?" in str(
            dialog.query_one("#confirm-box").border_title
        )
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.result is not None, what="the replay's end")
        assert (
            screen.session.result is not None
            and screen.session.result.moved == 2
            and screen.session.result.ok
        )
        assert "Done: moved 2 to orders" in text_of(screen, "#dlq-counts")
        await wait_for(pilot, lambda: not screen.session.loading, what="the list read again")
        assert screen.table.row_count == 3 and not screen.session.selected
        assert sorted(drain_bodies(live_queues.sqs, live_queues.orders)) == sorted(chosen)
        await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: depth(live_queues.sqs, live_queues.dlq) == (3, 0),
            what="the other three released",
        )


async def test_filter_then_replay_all_matching(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    bodies = fill_dlq(live_queues, 5)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_dlq_screen(pilot, expect=5)
        await pilot.press("slash")
        field = screen.query_one("#dlq-filter-input", Input)
        assert field.display and field.has_focus
        await pilot.press(*"$.status", "enter")
        await pilot.pause()
        assert any("expected $.field OP value" in n for n in notes(app))
        assert field.display  # still open to fix it
        field.value = "$.status >= 503"
        await pilot.press("enter")
        await wait_rows_count(pilot, screen, 2)
        assert not field.display and "filter $.status >= 503" in text_of(screen, "#dlq-title")
        dialog = await confirm_dialog(pilot, app)
        text = confirm_text(dialog)
        assert "Replay matching $.status >= 503" in text
        assert "Dry run: would move 2" in text and "not matching 3" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.result is not None, what="the replay's end")
        assert screen.session.result is not None and screen.session.result.moved == 2
        moved = sorted(drain_bodies(live_queues.sqs, live_queues.orders))
        assert moved == sorted(b for b in bodies if json.loads(b)["status"] >= 503)
        await wait_for(pilot, lambda: not screen.session.loading, what="the list read again")
        await pilot.press("slash")
        field.value = ""
        await pilot.press("enter")  # empty clears
        await wait_rows_count(pilot, screen, 3)
        await pilot.press("slash", "escape")  # esc closes the filter, not the screen
        assert isinstance(app.screen, DlqScreen) and not field.display


async def test_an_unfinished_filter_is_said_and_not_applied(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 3)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        title = text_of(screen, "#dlq-title")
        await pilot.press("slash", *"$.status >", "enter")
        await pilot.pause()
        assert any("missing the value after >" in n for n in notes(app))
        field = screen.query_one("#dlq-filter-input", Input)
        assert field.display and field.value == "$.status >"  # still open to fix it
        assert screen.session.filter is None and screen.table.row_count == 3
        assert text_of(screen, "#dlq-title") == title and "filter" not in title


async def wait_rows_count(pilot, screen: DlqScreen, n: int) -> None:
    await wait_for(pilot, lambda: screen.table.row_count == n, what=f"{n} rows")


async def test_replay_all_with_dry_run_progress_and_summary_empties_the_dlq(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    bodies = fill_dlq(live_queues, 12)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_dlq_screen(pilot, expect=12)
        dialog = await confirm_dialog(pilot, app)
        text = confirm_text(dialog)
        assert "Replay all messages (~12 visible now)" in text
        assert "Dry run: would move 12" in text and "… and 4 more" in text
        assert depth(live_queues.sqs, live_queues.dlq) == (12, 0)  # the dry run moved nothing
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.result is not None, what="the replay's end")
        assert (
            screen.session.result is not None
            and screen.session.result.moved == 12
            and screen.session.result.ok
        )
        bar = screen.query_one("#dlq-progress")
        assert bar.display and bar.total == 12 and bar.progress == 12  # type: ignore[attr-defined]
        assert text_of(screen, "#dlq-counts").startswith("Done: moved 12 to orders")
        assert any(n.startswith("Done: moved 12") for n in notes(app))
        await wait_for(pilot, lambda: not screen.session.loading, what="the list read again")
        assert screen.table.row_count == 0 and screen.session.exhausted
        assert depth(live_queues.sqs, live_queues.dlq) == (0, 0)
        assert sorted(drain_bodies(live_queues.sqs, live_queues.orders)) == sorted(bodies)


async def test_esc_in_the_confirmation_moves_nothing(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 3)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        await confirm_dialog(pilot, app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the list")
        assert "Replay cancelled: nothing moved." in text_of(screen, "#dlq-counts")
        await wait_rows_count(pilot, screen, 3)  # read again after the dry run let go
        assert depth(live_queues.sqs, live_queues.orders) == (0, 0)
        assert depth(live_queues.sqs, live_queues.dlq) == (0, 3)


async def test_esc_cancels_a_running_replay_and_nothing_is_lost(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 30)
    runtime, _ = live_runtime(moto_server, replay={"rate": 5.0})  # ~6 s for all: time to cancel
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen_clock)
    dlq = QueueStatus("orders-dlq", live_queues.dlq, 30, is_dlq=True)
    app.call_later(app.apply_snapshot, MetricsSnapshot((dlq,), NOW, "ok"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=30)
        await confirm_dialog(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.busy == "running", what="the replay running")
        bar = screen.query_one("#dlq-progress")
        await wait_for(pilot, lambda: bar.progress >= 1, what="progress")  # type: ignore[attr-defined]
        assert "msg/s" in text_of(screen, "#dlq-counts")
        await pilot.press("escape")
        assert isinstance(app.screen, DlqScreen)  # esc cancelled the replay, not the screen
        await wait_for(pilot, lambda: screen.session.result is not None, what="the cancelled end")
        result = screen.session.result
        assert result is not None and result.cancelled and 0 < result.moved < 30
        assert text_of(screen, "#dlq-counts").startswith(f"Cancelled: moved {result.moved}")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        target = drain_bodies(live_queues.sqs, live_queues.orders)
        assert len(target) == result.moved
        await wait_for(
            pilot,
            lambda: depth(live_queues.sqs, live_queues.dlq) == (30 - result.moved, 0),
            what=f"the rest back in the DLQ: {depth(live_queues.sqs, live_queues.dlq)} {result}",
        )


async def test_read_only_browses_but_refuses_replay(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 2)
    app = live_app(moto_server, live_queues, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_dlq_screen(pilot, expect=2)
        assert "READ-ONLY: browse only" in text_of(screen, "#dlq-title")
        await pilot.press("space", "R")
        await pilot.pause()
        assert app.screen is screen and screen.session.busy is None
        assert any(n.startswith("Read-only mode: replay is refused") for n in notes(app))
        assert not [w for w in screen.workers if w.group == "dlq-replay"]
        assert depth(live_queues.sqs, live_queues.orders) == (0, 0)


async def test_enter_shows_the_detail_full_screen_and_l_opens_its_logs(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 2)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=2)
        await pilot.press("enter")
        assert screen.has_class("-zoom") and not screen.table.display
        await pilot.press("escape")  # leaves full screen first
        assert not screen.has_class("-zoom") and app.screen is screen
        msg = screen.highlighted()
        assert msg is not None and msg.request_id
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="the logs")
        # Its message ID or its request ID (the whole invocations are added as they are found).
        assert app.screen.query_filter.any_ids[:2] == (msg.message_id, msg.request_id)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the DLQ")


async def test_a_dlq_without_a_source_queue_explains_instead_of_replaying(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    live_queues.send(live_queues.payments, 1)
    runtime, _ = live_runtime(moto_server)
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen_clock)
    orphan = QueueStatus("payments", live_queues.payments, 1, is_dlq=True)
    app.call_later(app.apply_snapshot, MetricsSnapshot((orphan,), NOW, "ok"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_dlq_screen(pilot, expect=1)
        await pilot.press("R")
        await wait_for(pilot, lambda: screen.session.busy is None, what="the plan refused")
        assert app.screen is screen
        assert "Replay not started:" in text_of(screen, "#dlq-counts")
        assert any("source" in n.lower() for n in notes(app)), notes(app)
        await wait_rows_count(pilot, screen, 1)
