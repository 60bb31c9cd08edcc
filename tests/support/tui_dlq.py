"""Helpers for the DLQ screen tests: a live app on moto, fixed messages for snapshots, checks."""

from __future__ import annotations

import json
from typing import Any

from textual.pilot import Pilot

from edgewatch.dlq.replay import DlqMessage, MessageAttribute
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.screen import DlqScreen
from tests.support.tui import NOW, LiveQueues, frozen_clock, live_runtime, wait_for

SIZE = (120, 36)
# Steady, slow traffic and no poison of the stack's own: a DLQ holds only what a test put there.
QUIET_PIPELINE = PipelineConfig(
    rate_per_s=1.0,
    fifo_rate_per_s=0.5,
    poison_rate=0.0,
    first_poison_index=None,
    metrics_interval_s=1.0,
    log_flush_s=0.2,
)
RIDS = (
    "7a1d0c52-0001-4a00-8000-00000000aaaa",
    "7a1d0c52-0002-4a00-8000-00000000bbbb",
    "7a1d0c52-0003-4a00-8000-00000000cccc",
)
MARKUP_BODY = json.dumps(
    {
        "request_id": RIDS[0],
        "type": "query",
        "path": "/search?q=[bold red]x[/]",
        "note": "\x1b[31mred\x1b[0m",
    }
)
BINARY_BODY = "\x00\x01PNG\x1b[2J\x7f\ufffd tail"


def live_app(
    server: MotoServer, queues: LiveQueues, *, read_only: bool = False, highlight: int = 0
) -> EdgewatchApp:
    """An app on moto that never polls; the dashboard lists orders (with its DLQ) and payments."""
    runtime, _ = live_runtime(server, read_only=read_only)
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen_clock)
    dlq = QueueStatus("orders-dlq", queues.dlq, 0, is_dlq=True)
    listed = (
        QueueStatus("orders", queues.orders, 0, dlq_url=queues.dlq, dlq=dlq),
        dlq,
        QueueStatus("payments", queues.payments, 0),
    )
    app.call_later(app.apply_snapshot, MetricsSnapshot(listed, NOW, "ok"))
    return app


def fill_dlq(queues: LiveQueues, n: int) -> list[str]:
    """``n`` JSON messages in the DLQ, each with a request id ``req-<i>``; their bodies."""
    bodies = [json.dumps({"request_id": f"req-{i}", "status": 500 + i}) for i in range(n)]
    for body in bodies:
        queues.sqs.send_message(QueueUrl=queues.dlq, MessageBody=body)
    return bodies


def drain_bodies(sqs: Any, url: str) -> list[str]:
    """Every visible body of ``url`` (received and deleted), for checking a target."""
    bodies: list[str] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not msgs:
            return bodies
        for m in msgs:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


async def open_dlq_screen(pilot: Pilot[Any], *, expect: int | None = None) -> DlqScreen:
    """Press ``d`` on the dashboard; wait until the first page is in (``expect`` rows)."""
    app = pilot.app
    await wait_for(pilot, lambda: app.snapshot is not None, what="the snapshot")  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen), what="the DLQ screen")
    screen = app.screen
    assert isinstance(screen, DlqScreen)
    await wait_for(pilot, lambda: not screen.session.loading, what="the first page")
    if expect is not None:
        await wait_for(pilot, lambda: screen.table.row_count == expect, what=f"{expect} rows")
    return screen


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, TextStatic).render())


def fixed_messages() -> list[DlqMessage]:
    """Three hand-built messages: markup + ANSI in JSON, a binary-looking body, a FIFO one."""
    sent = str(int((NOW - 754) * 1000))
    system = {"ApproximateReceiveCount": "4", "SentTimestamp": sent}
    return [
        DlqMessage(
            "0b6f6c1e-1111-4b5e-9d1a-000000000001",
            "rh-1",
            MARKUP_BODY,
            attributes={
                "[i]source[/i]": MessageAttribute("String", string_value="edge [b]eu[/b]"),
                "blob": MessageAttribute("Binary", binary_value=b"\x00\xff\x1b[31m"),
            },
            system={
                **system,
                "DeadLetterQueueSourceArn": "arn:aws:sqs:eu-west-1:000000000000:orders",
            },
        ),
        DlqMessage(
            "0b6f6c1e-2222-4b5e-9d1a-000000000002",
            "rh-2",
            BINARY_BODY,
            system={"ApproximateReceiveCount": "7", "SentTimestamp": str(int((NOW - 7300) * 1000))},
        ),
        DlqMessage(
            "0b6f6c1e-3333-4b5e-9d1a-000000000003",
            "rh-3",
            "plain text: order 42 failed [red]validation[/red]\nsecond line",
            system={
                **system,
                "MessageGroupId": "tenant-[b]7[/b]",
                "MessageDeduplicationId": "d-3",
            },
        ),
    ]


async def wait_rows(pilot: Pilot[Any], screen: DlqScreen, n: int) -> None:
    await wait_for(pilot, lambda: screen.table.row_count == n, what=f"{n} rows")


async def confirm_dialog(pilot, app: EdgewatchApp) -> ReplayConfirmScreen:
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, ReplayConfirmScreen), what="confirm")
    await pilot.pause()
    assert isinstance(app.screen, ReplayConfirmScreen)
    return app.screen


def confirm_text(screen: ReplayConfirmScreen) -> str:
    """The dialog's words: the plan and counts, then the scrolling preview."""
    head = str(screen.query_one("#confirm-text").render())
    return head + "\n" + str(screen.query_one("#confirm-preview").render())
