"""The Send screen, key by key: open with ``s`` or the palette, JSON checked as you type, a real
send against moto with its results, Enter to the logs of a request, read-only refusal, Esc."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Button, DataTable, Select

from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.common.help import HelpScreen
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.screen import DashboardScreen
from edgewatch.tui.logs.screen import LogsScreen
from edgewatch.tui.send.screen import SendScreen
from tests.support.notes import notifications
from tests.support.sqs import receive_all
from tests.support.tui import (
    NOW,
    LiveQueues,
    Scene,
    fixed_app,
    frozen_clock,
    live_runtime,
    queue_url,
    run_palette_command,
    wait_for,
)
from tests.support.tui_send import fill, open_send, send_workers

SIZE = (120, 36)


def text_of(screen: SendScreen, selector: str) -> str:
    return str(screen.query_one(selector, TextStatic).render())


def footer_keys(app: Any) -> dict[str, str]:
    return {
        b.binding.key: b.binding.description
        for b in app.screen.active_bindings.values()
        if b.binding.show and b.enabled
    }


def live_app(server: MotoServer, queues: LiveQueues, *extra: QueueStatus) -> EdgewatchApp:
    """An app on moto that never polls: the queue picker offers what this snapshot lists."""
    runtime, _ = live_runtime(server)
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen_clock)
    listed = (
        QueueStatus("orders", queues.orders),
        QueueStatus("orders-dlq", queues.dlq, is_dlq=True),
        QueueStatus("payments", queues.payments),
        *extra,
    )
    app.call_later(app.apply_snapshot, MetricsSnapshot(listed, NOW, "ok"))
    return app


async def test_s_opens_the_form_and_esc_goes_back(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        assert footer_keys(app)["s"] == "Send"
        screen = await open_send(pilot)
        select = screen.query_one("#send-queue", Select)
        assert select.value == queue_url("orders")  # the first queue that is not a DLQ
        assert [c.name for c in screen.form.choices] == [q.name for q in scene.queues]
        assert screen.query_one("#send-go", Button).disabled is False
        assert "s" not in footer_keys(app)  # no second "Send" next to ctrl+s
        assert footer_keys(app)["ctrl+s"] == "Send" and footer_keys(app)["escape"] == "Back"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        assert "Send test events" in str(app.screen.query_one("#help-keys").render())


async def test_the_palette_opens_it_too(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await run_palette_command(pilot, "send test", "Send test events")
        assert isinstance(app.screen, SendScreen)


async def test_json_is_checked_as_you_type(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        screen = await open_send(pilot)
        body = screen.query_one("#send-body")
        assert body.display is False  # templates need no JSON
        await fill(pilot, screen, template="custom", body="")
        assert body.display is True
        body.focus()
        await pilot.press(*'{"a": 1,')
        error = screen.query_one("#send-json-error", TextStatic)
        assert error.display is True
        assert text_of(screen, "#send-json-error").startswith("invalid JSON: Expecting")
        assert screen.query_one("#send-go", Button).disabled is True
        assert "JSON body is not valid" in text_of(screen, "#send-status")
        await pilot.press("ctrl+s")  # greyed out: nothing starts
        assert send_workers(app) == [] and not screen.running

        await pilot.press(*' "b": [2]}')
        assert error.display is False
        assert screen.query_one("#send-go", Button).disabled is False
        assert json.loads(screen.query_one("#send-body").text) == {"a": 1, "b": [2]}

        await fill(pilot, screen, count="0")
        assert "count must be 1 to 100,000" in text_of(screen, "#send-status")
        assert screen.query_one("#send-go", Button).disabled is True
        await fill(pilot, screen, count="2", rate="-1")
        assert "rate must be a positive number" in text_of(screen, "#send-status")
        await fill(pilot, screen, rate="")
        assert screen.query_one("#send-go", Button).disabled is False


async def test_a_send_shows_results_and_enter_opens_the_logs(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        await fill(pilot, screen, queue=live_queues.payments, count="3")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.result is not None, what="the send to finish")
        result = screen.result
        assert result is not None and result.ok and result.sent == 3
        table = screen.query_one("#send-results", DataTable)
        assert table.row_count == 3
        shown = [table.get_cell(str(i), "request_id").plain for i in range(3)]
        assert shown == [o.request_id for o in result.outcomes]
        assert [table.get_cell(str(i), "status").plain for i in range(3)] == ["sent"] * 3
        assert [table.get_row_at(i)[0].plain for i in range(3)] == ["1", "2", "3"]
        assert text_of(screen, "#send-status").startswith("Done: sent 3 of 3 to payments")
        assert "sent 3" in text_of(screen, "#send-counts")
        messages = await receive_all(live_queues.sqs, live_queues.payments, 3)
        assert sorted(json.loads(m["Body"])["request_id"] for m in messages) == sorted(shown)

        # Lambda-shaped consumers log the message ID, not the request ID: both are searched
        second = sorted(result.outcomes, key=lambda o: o.index)[1]
        assert second.message_id and second.request_id == shown[1]
        table.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="the Logs screen")
        logs = app.screen
        assert isinstance(logs, LogsScreen) and logs.query_filter is not None
        assert {second.message_id, second.request_id} <= set(logs.query_filter.any_ids)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the Send screen")


async def test_an_unknown_queue_is_said_inline(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    gone = live_queues.orders.rsplit("/", 1)[0] + "/gone"
    app = live_app(moto_server, live_queues, QueueStatus("gone", gone))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        await fill(pilot, screen, queue=gone)
        await pilot.click("#send-go")
        await wait_for(pilot, lambda: not screen.running and "Not sent" in text_of(
            screen, "#send-status"), what="the error")  # fmt: skip
        assert text_of(screen, "#send-status") == f"Not sent: no such queue: {gone}"
        assert screen.query_one("#send-go", Button).disabled is False  # fix it and try again


async def test_a_send_goes_on_behind_the_dashboard(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        # 4 events at 2/s take 1.5 s at least: the send is still running after the key
        await fill(pilot, screen, queue=live_queues.orders, count="4", rate="2")
        await pilot.press("ctrl+s")
        assert screen.running and footer_keys(app)["ctrl+s"] == "Cancel send"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await wait_for(pilot, lambda: screen.result is not None, what="the send to finish")
        assert any(n.title == "Test send" for n in notifications(app))
        assert await open_send(pilot) is screen  # the same screen, results kept
        assert screen.query_one("#send-results", DataTable).row_count == 4


async def test_cancel_stops_emitting(moto_server: MotoServer, live_queues: LiveQueues) -> None:
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        await fill(pilot, screen, queue=live_queues.orders, count="1000", rate="5")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.running, what="the send to start")
        await pilot.press("ctrl+s")  # the same key cancels
        await wait_for(pilot, lambda: screen.result is not None, what="the cancelled send")
        result = screen.result
        assert result is not None and result.cancelled and result.not_sent > 900
        assert text_of(screen, "#send-status").startswith("Cancelled: sent ")


async def test_read_only_refuses_with_a_reason(scene: Scene) -> None:
    app = fixed_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        screen = await open_send(pilot)
        assert "read-only mode" in str(screen.query_one("#send-refusal-text").render())
        assert not screen.query("#send-form") and not screen.query("#send-go")
        assert "ctrl+s" not in footer_keys(app)
        await pilot.press("ctrl+s")
        assert send_workers(app) == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")


async def test_opened_before_the_first_poll_it_offers_the_queues_when_they_come(
    scene: Scene,
) -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        select = screen.query_one("#send-queue", Select)
        assert select.is_blank() and "choose a queue" in text_of(screen, "#send-status")
        assert screen.query_one("#send-go", Button).disabled is True
        app.apply_snapshot(scene.snapshot(), scene.history)
        await wait_for(pilot, lambda: select.value == queue_url("orders"), what="the queues")
        assert text_of(screen, "#send-status").startswith("Ready")
        assert screen.query_one("#send-go", Button).disabled is False
