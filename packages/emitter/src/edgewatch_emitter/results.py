"""What the emitter reports: counters, flush outcomes and delivery failures (plain dataclasses)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

FailureReason = Literal[
    "rejected",  # SQS refused the entries (SenderFault, or a 4xx for the whole request)
    "retries_exhausted",  # retryable trouble outlasted max_retries
    "unserializable",  # the serializer raised on the event
    "too_large",  # the serialised message exceeds the queue's maximum size
    "closed",  # still buffered or in flight when aclose() hit its deadline
]


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """Events that will not reach SQS, handed to ``on_error`` (never contains credentials)."""

    reason: FailureReason
    code: str | None
    message: str
    events: tuple[Any, ...]
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """One event SQS acknowledged, handed to ``on_sent``: what a caller needs to follow it.

    ``message_id`` is SQS's id for the message (what consumers and DLQ tools show);
    ``sequence_number`` is set on FIFO queues only; ``attempts`` counts requests, retries
    included.
    """

    event: Any
    message_id: str
    sequence_number: str | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class EmitterStats:
    """A snapshot of the emitter's counters; every event ends in sent, failed or dropped."""

    buffered: int
    in_flight: int
    sent: int
    retried: int
    failed: int
    dropped: int
    requests: int
    send_latency_p50_ms: float | None
    send_latency_p99_ms: float | None
    breaker_open: bool


@dataclass(frozen=True, slots=True)
class FlushResult:
    """Outcome of ``flush()`` / ``aclose()``: ``unsent`` events were pending at the deadline."""

    complete: bool
    unsent: int
    stats: EmitterStats


class LatencyWindow:
    """The most recent request round-trips, for percentiles (bounded memory)."""

    def __init__(self, size: int = 2048) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def percentile_ms(self, q: float) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index] * 1000.0
