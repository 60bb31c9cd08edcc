"""The operator's whole loop on the embedded stack, through the console (docs/architecture.md).

A poison test event is sent with the Send screen's engine → the stack's consumer fails it
``maxReceiveCount`` times → it is in the DLQ → browsed on the DLQ screen → ``l`` shows its worker
log lines (the failures) → ``R`` replays it (confirmed) → it has left the DLQ and reached the
source queue. Every wait is a bounded condition; nothing sleeps and hopes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from edgewatch.aws import AwsClients
from edgewatch.config import Settings
from edgewatch.runtime import Runtime
from edgewatch.send import SendOptions, TemplateEvents, resolve_queue, send_events
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer
from edgewatch.simulator.stack import EmbeddedStack
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.screen import DlqScreen
from edgewatch.tui.logs.screen import LogsScreen
from tests.support.tui import THRESHOLDS, wait_for
from tests.support.tui_dlq import QUIET_PIPELINE, SIZE

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[EmbeddedStack]:
    """An embedded stack on its own port (moto's state was just reset by ``moto_server``)."""
    with EmbeddedStack(seed=5, config=QUIET_PIPELINE) as running:
        yield running


def dlq_ids(sqs: Any, url: str) -> set[str]:
    """Message ids in the DLQ, read without hiding them (visibility timeout 0)."""
    ids: set[str] = set()
    for _ in range(3):
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        )
        ids |= {m["MessageId"] for m in resp.get("Messages", [])}
    return ids


async def test_poison_event_to_dlq_to_logs_to_replay(stack: EmbeddedStack) -> None:
    res = stack.resources
    sqs = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=stack.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )
    settings = Settings(poll_interval=0.5, thresholds=THRESHOLDS)
    runtime = Runtime(settings, stack.target, stack=stack)
    app = EdgewatchApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        # 1. A poison test event through the Send screen's engine (the edge's SigV4 path).
        clients = AwsClients(stack.target)
        try:
            queue = await resolve_queue(clients, res.queue.url)
            sent = await send_events(
                clients, queue, TemplateEvents("query", poison=True, seed=9), SendOptions(count=1)
            )
        finally:
            await clients.aclose()
        assert sent.sent == 1, sent
        rid = sent.outcomes[0].request_id
        assert rid

        # 2. The consumer fails it maxReceiveCount times: it lands in the DLQ.
        await wait_for(pilot, lambda: bool(dlq_ids(sqs, res.dlq.url)), timeout=60, what="DLQ")

        # 3. d on the source queue's row opens its DLQ; the event is listed.
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None and res.queue.url in app.get_default_screen().table.keys
            ),
            what="the source queue on the dashboard",
        )
        row = app.get_default_screen().table.keys.index(res.queue.url)
        app.get_default_screen().table.move_cursor(row=row)
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="the DLQ screen")
        screen = app.screen
        assert isinstance(screen, DlqScreen) and screen.target.url == res.dlq.url

        def poison_row() -> str | None:
            return next(
                (m.message_id for m in screen.session.messages.values() if m.request_id == rid),
                None,
            )

        await wait_for(pilot, lambda: poison_row() is not None, what="the poison event listed")
        original = poison_row()
        assert original is not None
        screen.table.move_cursor(row=screen.table.get_row_index(original))
        await pilot.pause()
        assert screen.highlighted() is not None and screen.highlighted().request_id == rid  # type: ignore[union-attr]

        # The detail says why it failed, from the consumer's logs (its message ID is there).
        await wait_for(
            pilot,
            lambda: screen._why.get(original) is not None,
            timeout=30,
            what="why the message failed",
        )
        why = screen._why[original]
        assert why is not None and why.error_type == "SchemaValidationError"
        assert why.log_group == res.function.log_group
        detail = str(screen.query_one("#dlq-detail").render())
        assert "why it failed" in detail and "SchemaValidationError" in detail

        # 4. l: the worker logs of that message show its failures, with their invocations.
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="the Logs screen")
        logs = app.screen
        assert isinstance(logs, LogsScreen)

        def failures() -> list[Any]:
            return [ln for ln in logs.view.lines if original in ln.message_ids]

        await wait_for(
            pilot, lambda: len(failures()) >= 3, timeout=30, what="the message's failure lines"
        )
        invocations = {ln.request_id for ln in failures()}
        await wait_for(
            pilot,
            lambda: (
                {ln.request_id for ln in logs.view.lines if ln.info.kind == "report"} >= invocations
            ),
            timeout=30,
            what="the REPORT lines of the invocations that handled it",
        )
        assert all(ln.request_id in invocations for ln in logs.view.lines)
        assert all(ln.info.error_type == "SchemaValidationError" for ln in failures())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the DLQ screen")

        # 5. Select it, R, confirm: it is replayed to its source queue.
        await pilot.press("space", "R")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ReplayConfirmScreen), what="the confirmation"
        )
        assert "Dry run: would move 1" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press("y")
        await wait_for(
            pilot, lambda: screen.session.result is not None, timeout=30, what="the replay"
        )
        result = screen.session.result
        assert result is not None and result.ok and result.moved == 1
        assert result.outcomes[original].status == "moved"

        # 6. It has left the DLQ (a replayed copy that fails again comes back with a new id).
        assert original not in dlq_ids(sqs, res.dlq.url)
        await pilot.press("escape")
