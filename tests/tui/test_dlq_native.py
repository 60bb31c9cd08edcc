"""SQS's own move task (StartMessageMoveTask) in the replay dialog: offered for "all,
unfiltered" only; moto lacks it, so the dialog says so and replays client-side; where the
endpoint has it (answered by the fault proxy, moto has no such API) ``t`` switches to it and
``y`` starts it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Checkbox

from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from tests.support.faults import FaultProxy, Reply, Request
from tests.support.sqs import depth
from tests.support.tui import LiveQueues, wait_for
from tests.support.tui_dlq import (
    SIZE,
    confirm_dialog,
    confirm_text,
    drain_bodies,
    fill_dlq,
    live_app,
    open_dlq_screen,
)


@pytest.fixture
def proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_server.endpoint_url)
    yield p
    p.close()


def native_line(dialog: ReplayConfirmScreen) -> str:
    return str(dialog.query_one("#confirm-native-line").render())


def move_task_calls(app: EdgewatchApp) -> list[str]:
    calls: list[str] = app.runtime.clients.calls  # type: ignore[attr-defined]
    return [c for c in calls if "MessageMoveTask" in c]


async def test_all_unfiltered_asks_moto_which_lacks_it_so_the_replay_is_client_side(
    moto_server: MotoServer, live_queues: LiveQueues, boto3_sqs: Any
) -> None:
    bodies = fill_dlq(live_queues, 3)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        dialog = await confirm_dialog(pilot, app)
        assert move_task_calls(app) == ["ListMessageMoveTasks"]  # the core's one probe
        line = native_line(dialog)
        assert line.startswith("Native move: not available — ")
        assert "does not implement StartMessageMoveTask" in line
        assert line.endswith("client-side replay is used")
        assert not dialog.query(Checkbox)  # nothing to tick
        await pilot.press("t")
        assert dialog.chosen is dialog.plan and "mode client-side" in confirm_text(dialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.result is not None, what="the replay's end")
        assert screen.session.result is not None and screen.session.result.plan.mode == "client"
        assert screen.session.result.moved == 3
    assert sorted(drain_bodies(boto3_sqs, live_queues.orders)) == sorted(bodies)


async def test_a_selection_is_not_offered_the_move_task_and_aws_is_not_asked(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    fill_dlq(live_queues, 3)
    app = live_app(moto_server, live_queues)
    async with app.run_test(size=SIZE) as pilot:
        await open_dlq_screen(pilot, expect=3)
        await pilot.press("space")
        dialog = await confirm_dialog(pilot, app)
        assert native_line(dialog) == (
            "Native move: not offered — it moves every message, not a selection"
        )
        assert not dialog.query(Checkbox) and move_task_calls(app) == []
        await pilot.press("t")
        assert dialog.chosen is dialog.plan and dialog.plan.mode == "client"


async def test_where_the_endpoint_has_it_t_switches_to_the_move_task_and_y_starts_it(
    proxy: FaultProxy, live_queues: LiveQueues, boto3_sqs: Any
) -> None:
    fill_dlq(live_queues, 3)
    dlq_arn, orders_arn = (
        boto3_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for url in (live_queues.dlq, live_queues.orders)
    )
    started: list[dict[str, Any]] = []

    def move_task(req: Request) -> Reply | None:
        """What AWS answers (moto has no move tasks): nothing listed, then one task, done."""
        if req.operation == "StartMessageMoveTask":
            started.append(json.loads(req.body))
            return Reply({"TaskHandle": "task-1"})
        if req.operation == "ListMessageMoveTasks":
            if not started:
                return Reply({"Results": []})
            done = {"TaskHandle": "task-1", "Status": "COMPLETED", "SourceArn": dlq_arn}
            done |= {"ApproximateNumberOfMessagesMoved": 3, "ApproximateNumberOfMessagesToMove": 3}
            return Reply({"Results": [done]})
        return None

    proxy.rules.append(move_task)
    app = live_app(proxy, live_queues)  # type: ignore[arg-type]  # moto, through the proxy
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dlq_screen(pilot, expect=3)
        dialog = await confirm_dialog(pilot, app)
        assert native_line(dialog).startswith("Native move: available — ")
        box = dialog.query_one("#confirm-box")
        assert "mode client-side" in confirm_text(dialog)  # client-side until chosen
        assert str(box.border_title) == "Replay 3 message(s) to orders?"
        await pilot.press("t")
        assert dialog.query_one("#confirm-native", Checkbox).value
        text = confirm_text(dialog)
        assert "mode native move task (StartMessageMoveTask)" in text
        assert "adds no edgewatch.replay record" in text
        assert str(box.border_title) == "Move all 3 message(s) to orders with SQS?"
        await pilot.press("t", "t")  # off and on again: the text follows
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session.result is not None, what="the move task's end")
        assert screen.session.result is not None and screen.session.result.plan.mode == "native"
        assert screen.session.result.moved == 3 and screen.session.result.ok
        assert "Done: moved 3 to orders" in str(screen.query_one("#dlq-counts").render())
    assert [(s["SourceArn"], s["DestinationArn"]) for s in started] == [(dlq_arn, orders_arn)]
    assert depth(boto3_sqs, live_queues.orders) == (0, 0)  # nothing sent client-side
