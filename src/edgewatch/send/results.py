"""What a test send reports: per-event outcomes, live progress, and the summary (dataclasses).

Every event that was emitted ends in exactly one outcome: ``sent`` (SQS acknowledged it; its
message id and the time from emit to acknowledgement are known), ``failed`` (refused: by SQS, by a
check before sending, or retries ran out) or ``dropped`` (not confirmed when the send closed; it
may still have reached SQS). Events never emitted (a cancel, an endpoint that stopped accepting)
are counted as ``not_sent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from edgewatch_emitter import EmitterStats

OutcomeStatus = Literal["sent", "failed", "dropped"]


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """The queue a send goes to, as resolved (``GetQueueUrl`` + attributes)."""

    name: str
    url: str
    fifo: bool
    max_message_bytes: int


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """One emitted event: how to follow it (request id, message id) and how it went."""

    index: int  # 0-based, in emit order
    request_id: str | None
    status: OutcomeStatus
    message_id: str | None = None
    ack_ms: float | None = None  # emit → SQS acknowledgement (buffering and retries included)
    attempts: int = 0
    error: str | None = None
    line: int | None = None  # its line in a JSON-lines file

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "request_id": self.request_id,
            "status": self.status,
            "message_id": self.message_id,
            "ack_ms": None if self.ack_ms is None else round(self.ack_ms, 3),
            "attempts": self.attempts,
            "error": self.error,
            "line": self.line,
        }


@dataclass(frozen=True, slots=True)
class SendProgress:
    """Counts so far; ``settled`` holds the outcomes decided since the previous report."""

    total: int
    emitted: int
    sent: int
    failed: int
    dropped: int
    settled: tuple[EventOutcome, ...] = ()

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.dropped


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (as the emitter's own latency window computes it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass(frozen=True, slots=True)
class SendResult:
    """The whole send. ``ok`` only if every requested event was acknowledged."""

    queue: QueueTarget
    requested: int
    outcomes: tuple[EventOutcome, ...]
    elapsed_s: float
    rate: float | None = None
    cancelled: bool = False
    stopped: str | None = None  # why emitting stopped early, if it did (not a cancel)
    emitter: EmitterStats | None = None

    def _count(self, status: OutcomeStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def dropped(self) -> int:
        return self._count("dropped")

    @property
    def not_sent(self) -> int:
        return self.requested - len(self.outcomes)

    @property
    def ok(self) -> bool:
        return self.sent == self.requested

    def ack_ms(self, q: float) -> float | None:
        """A percentile of emit → acknowledgement over the acknowledged events."""
        return percentile([o.ack_ms for o in self.outcomes if o.ack_ms is not None], q)

    def to_json(self) -> dict[str, Any]:
        """The ``edgewatch send --json`` document (no credentials: there are none here)."""
        p50, p99 = self.ack_ms(0.50), self.ack_ms(0.99)
        return {
            "queue": {"name": self.queue.name, "url": self.queue.url, "fifo": self.queue.fifo},
            "requested": self.requested,
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "not_sent": self.not_sent,
            "ok": self.ok,
            "cancelled": self.cancelled,
            "stopped": self.stopped,
            "rate": self.rate,
            "elapsed_s": round(self.elapsed_s, 3),
            "ack_latency_ms": {
                "p50": None if p50 is None else round(p50, 3),
                "p99": None if p99 is None else round(p99, 3),
            },
            "requests": self.emitter.requests if self.emitter else None,
            "retried": self.emitter.retried if self.emitter else None,
            "message_ids": [o.message_id for o in self.outcomes if o.message_id],
            "events": [o.to_json() for o in self.outcomes],
        }
