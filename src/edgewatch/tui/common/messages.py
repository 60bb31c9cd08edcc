"""Typed messages between the poll worker and the UI."""

from __future__ import annotations

from textual.message import Message

from edgewatch.metrics.models import MetricsSnapshot


class SnapshotReady(Message):
    """The poller finished a poll (or paused); posted from the worker, handled with ``@on``."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
