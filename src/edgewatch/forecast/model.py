"""What the forecast engine says about one queue, and what it was computed from.

Every figure is ``None`` when its inputs are missing (no datapoint, one sample only): an unknown
rate is never shown as 0, and an unknown ETA never as "now".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

RateSource = Literal["cloudwatch", "estimated"]
Trend = Literal["empty", "draining", "steady", "growing"]
ExpiryBasis = Literal["enqueue_time", "worst_case"]


def backlog_of(visible: int | None, in_flight: int | None, delayed: int | None) -> int | None:
    """Every message a queue holds, not yet deleted: ``None`` until its depth is known."""
    if visible is None:
        return None
    return visible + (in_flight or 0) + (delayed or 0)


@dataclass(frozen=True, slots=True)
class CountsPeriod:
    """CloudWatch sums over one period (``NumberOfMessages*``), stamped with the period's start.

    A metric CloudWatch has no datapoint for is ``None``.
    """

    at: float  # epoch seconds of the period's start
    period_s: float
    sent: float | None
    received: float | None
    deleted: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "period_start": self.at,
            "period_s": self.period_s,
            "sent": self.sent,
            "received": self.received,
            "deleted": self.deleted,
        }


@dataclass(frozen=True, slots=True)
class MinutePoint:
    """One CloudWatch minute of a queue's depth and oldest age, stamped with its start."""

    at: float  # epoch seconds of the minute's start
    visible: int | None
    oldest_age_s: float | None


@dataclass(frozen=True, slots=True)
class FlowSample:
    """One observation of a queue, as the poller saw it at ``at`` (epoch seconds)."""

    at: float
    visible: int | None
    in_flight: int | None = None
    delayed: int | None = None
    retention_s: float | None = None
    oldest_enqueued_at: float | None = None  # epoch s of the oldest message's enqueue time
    counts: CountsPeriod | None = None

    @property
    def backlog(self) -> int | None:
        """Messages not yet deleted: visible, in flight and delayed (a drain must clear all)."""
        return backlog_of(self.visible, self.in_flight, self.delayed)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The answers to "draining or growing, when empty, when do messages expire"."""

    backlog: int | None = None
    in_per_s: float | None = None  # CloudWatch NumberOfMessagesSent / period
    out_per_s: float | None = None  # CloudWatch NumberOfMessagesDeleted / period
    net_per_s: float | None = None  # smoothed (EWMA) change of the backlog per second
    rate_source: RateSource | None = None
    trend: Trend | None = None
    drain_eta_s: float | None = None  # backlog / -net while draining; 0 when empty
    growing_per_s: float | None = None  # net while growing
    oldest_age_s: float | None = None  # the oldest message's age now
    retention_s: float | None = None
    loss_eta_s: float | None = None  # retention - oldest age: when messages start to expire
    retry_per_s: float | None = None  # (received - deleted) / period, the latest period
    retries_to_dlq: bool | None = None  # received - deleted stayed positive; the queue has a DLQ
    stalled: bool | None = None  # a backlog and nothing deleted (or the oldest only ages)
    dlq_backlog: int | None = None
    dlq_inflow_per_s: float | None = None  # from the DLQ's depth increases over a window
    dlq_growing: bool | None = None
    dlq_expiry_s: float | None = None  # until the DLQ's oldest message expires
    dlq_expiry_basis: ExpiryBasis | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 4 if key.endswith("per_s") else 1)
        return out
