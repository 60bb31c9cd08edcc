"""Helpers for the Send screen tests: opening it, filling the form, a fixed result."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from edgewatch.send import EventOutcome, QueueTarget, SendResult
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.send.screen import SendScreen
from tests.support.tui import queue_url, wait_for

RIDS = (
    "6f1c2a9b-3de4-4c1a-9b7e-0123456789ab",
    "0d9e8f7a-1111-4222-8333-444455556666",
    "9a8b7c6d-2222-4333-8444-555566667777",
    "1b2c3d4e-3333-4444-8555-666677778888",
)


async def open_send(pilot: Pilot[Any]) -> SendScreen:
    app = pilot.app
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SendScreen), what="the Send screen")
    await pilot.pause()
    assert isinstance(app.screen, SendScreen)
    return app.screen


async def fill(
    pilot: Pilot[Any],
    screen: SendScreen,
    *,
    queue: str | None = None,
    template: str | None = None,
    body: str | None = None,
    count: str | None = None,
    rate: str | None = None,
) -> None:
    """Set fields the way a user's edits do (each posts its Changed message)."""
    if queue is not None:
        screen.query_one("#send-queue", Select).value = queue
    if template is not None:
        screen.query_one("#send-template", Select).value = template
    if body is not None:
        screen.query_one("#send-body", TextArea).text = body
    if count is not None:
        screen.query_one("#send-count", Input).value = count
    if rate is not None:
        screen.query_one("#send-rate", Input).value = rate
    await pilot.pause()


def fixed_result() -> SendResult:
    """Four events: two sent, one refused by SQS (markup in its error), one not confirmed."""
    queue = QueueTarget("orders", queue_url("orders"), False, 262_144)
    outcomes = (
        EventOutcome(0, RIDS[0], "sent", "b1f0c7e2-0000-4000-8000-000000000001", 12.4, 1),
        EventOutcome(1, RIDS[1], "sent", "b1f0c7e2-0000-4000-8000-000000000002", 31.9, 2),
        EventOutcome(
            2, RIDS[2], "failed", None, None, 1,
            "rejected (InvalidParameterValue): [bold]not[/bold] accepted",
        ),
        EventOutcome(
            3, RIDS[3], "dropped", None, None, 0,
            "not confirmed before the deadline (it may have reached SQS)",
        ),
    )  # fmt: skip
    return SendResult(queue, requested=5, outcomes=outcomes, elapsed_s=1.25, rate=10.0)


def send_workers(app: EdgewatchApp) -> list[Any]:
    return [w for w in app.workers if w.group == "send"]
