"""Typed messages that bubble to the app: from the poll worker, and between feature screens."""

from __future__ import annotations

from textual.message import Message

from edgewatch.metrics.models import MetricsSnapshot


class SnapshotReady(Message):
    """The poller finished a poll (or paused); posted from the worker, handled with ``@on``."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class ShowRequest(Message):
    """Show the worker logs of one request (a sent test event, a DLQ message): any screen that
    shows a request ID posts this; it bubbles to the app, which opens or narrows the Logs screen."""

    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id


class ShowMessage(Message):
    """Show the worker logs of one SQS message: the lines naming its message ID (or its request
    ID) and the whole invocations that handled it; posted by the DLQ screen, handled by the app."""

    def __init__(self, message_id: str, request_id: str | None = None) -> None:
        super().__init__()
        self.message_id = message_id
        self.request_id = request_id
