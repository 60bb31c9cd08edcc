"""Typed results of the queue metrics poller, shared by the CLI and the TUI."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from edgewatch.config import Level, Thresholds, threshold_level
from edgewatch.forecast.model import CountsPeriod, Forecast, MinutePoint, backlog_of

if TYPE_CHECKING:
    from edgewatch.fleet.cost import CostEstimate

ConnectionState = Literal["connecting", "ok", "degraded", "down", "paused"]
HISTORY_METRICS = ("visible", "in_flight", "delayed", "dlq_visible")


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """One queue at one poll. Counts are ``None`` when unknown (error, not yet polled).

    ``oldest_age_s`` is ``None`` ("n/a") when CloudWatch has no datapoint: never 0 by default.
    """

    name: str
    url: str | None
    visible: int | None = None
    in_flight: int | None = None
    delayed: int | None = None
    oldest_age_s: float | None = None
    oldest_age_at: datetime | None = None  # timestamp of the CloudWatch datapoint
    dlq_url: str | None = None
    dlq: QueueStatus | None = None  # the DLQ's own status, when this queue has one
    is_dlq: bool = False  # some other watched queue redrives into this one
    fifo: bool = False
    error: str | None = None
    stale: bool = False  # the last request for this queue has not answered yet
    updated_at: float | None = None  # epoch seconds of the last successful read
    thresholds: Thresholds = field(default_factory=Thresholds)
    retention_s: float | None = None  # MessageRetentionPeriod
    counts: CountsPeriod | None = None  # CloudWatch NumberOfMessages* of the latest period
    region: str | None = None
    account: str | None = None  # the account id from the URL, or the fleet source's label
    tags: Mapping[str, str] = field(default_factory=dict)  # ListQueueTags (fleet, when enabled)
    read_by: Literal["attributes", "cloudwatch"] | None = None  # where the counts came from
    # Every CloudWatch minute of the latest read (fleet): the forecasts' history, not shown.
    periods: tuple[CountsPeriod, ...] = ()
    minutes: tuple[MinutePoint, ...] = ()

    @property
    def held(self) -> int | None:
        """Every message the queue holds: visible, in flight and delayed (None until read).

        A DLQ's depth is this, not ``visible``: browsing a DLQ (this console, the AWS console)
        or a replay in progress makes its messages in flight, and they are still poison waiting
        in the DLQ. Judging ``visible`` alone resolved the DLQ alert whenever someone looked."""
        return backlog_of(self.visible, self.in_flight, self.delayed)

    @property
    def depth_level(self) -> Level:
        """A DLQ's own depth is judged by the DLQ threshold: any poison is news."""
        if self.is_dlq:
            return threshold_level(self.held, self.thresholds.dlq_depth)
        return threshold_level(self.visible, self.thresholds.depth)

    @property
    def age_level(self) -> Level:
        return threshold_level(self.oldest_age_s, self.thresholds.age_s)

    @property
    def dlq_level(self) -> Level:
        if self.dlq is None:
            return "ok"
        return threshold_level(self.dlq.held, self.thresholds.dlq_depth)

    @property
    def level(self) -> Level:
        """The worst of the queue's levels; an error is critical."""
        if self.error:
            return "crit"
        levels = {self.depth_level, self.age_level, self.dlq_level}
        for worst in ("crit", "warn"):
            if worst in levels:
                return worst
        return "ok"

    def to_json(self, *, with_dlq: bool = True) -> dict[str, Any]:
        """The documented ``edgewatch status --json`` shape."""
        out: dict[str, Any] = {
            "name": self.name,
            "url": self.url,
            "visible": self.visible,
            "in_flight": self.in_flight,
            "delayed": self.delayed,
            "oldest_age_s": None if self.oldest_age_s is None else round(self.oldest_age_s, 1),
            "oldest_age_at": None if self.oldest_age_at is None else self.oldest_age_at.isoformat(),
            "updated_at": self.updated_at,
            "retention_s": self.retention_s,
            "counts": None if self.counts is None else self.counts.to_json(),
            "region": self.region,
            "account": self.account,
            "tags": dict(self.tags),
            "read_by": self.read_by,
        }
        if with_dlq:
            out["dlq"] = None if self.dlq is None else self.dlq.to_json(with_dlq=False)
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every watched queue after one poll, plus the poller's view of the endpoint."""

    queues: tuple[QueueStatus, ...]
    polled_at: float  # epoch seconds
    connection: ConnectionState
    error: str | None = None  # endpoint-level problem (down, no credentials, ...)
    last_success_at: float | None = None
    metrics_at: float | None = None  # when CloudWatch was last read successfully
    metrics_error: str | None = None
    cost: CostEstimate | None = None  # the fleet poller's estimate at the current settings
    calls_last_min: int | None = None  # API calls made in the last minute (fleet poller)
    refresh_s: float | None = None  # how often each on-screen fleet row is read (round-robin)

    def to_json(self, forecasts: Mapping[str, Forecast] | None = None) -> list[dict[str, Any]]:
        """One object per queue; with ``forecasts`` (by queue key) each gets its ``forecast``."""
        out = []
        for q in self.queues:
            doc = q.to_json()
            if forecasts is not None:
                f = forecasts.get(q.url or q.name)
                doc["forecast"] = (f or Forecast()).to_json()
            out.append(doc)
        return out


class History:
    """Bounded per-queue, per-metric series for sparklines (``None`` kept as a gap)."""

    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self._series: dict[tuple[str, str], deque[float | None]] = {}

    def record(self, snapshot: MetricsSnapshot) -> None:
        for q in snapshot.queues:
            key = q.url or q.name
            values = {
                "visible": q.visible,
                "in_flight": q.in_flight,
                "delayed": q.delayed,
                "dlq_visible": q.dlq.visible if q.dlq else None,
            }
            for metric, value in values.items():
                series = self._series.get((key, metric))
                if series is None:
                    series = self._series[(key, metric)] = deque(maxlen=self.maxlen)
                # An unread or failed queue is a gap, never a flat line of old numbers.
                unknown = q.stale or q.error is not None or value is None
                series.append(None if unknown or value is None else float(value))

    def series(self, queue_key: str, metric: str) -> list[float | None]:
        return list(self._series.get((queue_key, metric), ()))

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the series of queues no longer watched (bounded memory across re-discovery)."""
        keep_set = set(keep)
        for key in [k for k in self._series if k[0] not in keep_set]:
            del self._series[key]


def oldest_age(
    age: tuple[float, datetime] | None,
    counts: tuple[int | None, int | None, int | None],
    read_at: float | None,
    *,
    period_s: float = 60.0,
) -> tuple[float | None, datetime | None]:
    """``(age, at)`` of the oldest message: CloudWatch's datapoint, unless a queue read made after
    that datapoint's period found no message at all (visible, in flight and delayed all 0).

    ``ApproximateAgeOfOldestMessage`` trails the queue by a minute or more: without this an
    emptied queue would keep showing (and alerting on) the age of messages already deleted.
    An empty read is age 0 at the read's time."""
    if age is None:
        return None, None
    empty = all(n == 0 for n in counts)
    if empty and read_at is not None and read_at >= age[1].timestamp() + period_s:
        return 0.0, datetime.fromtimestamp(read_at, UTC)
    return age
