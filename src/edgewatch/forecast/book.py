"""Forecasts for every queue of a :class:`MetricsSnapshot`, one :class:`QueueFlow` per queue.

The adapter decides what the engine cannot know by itself:
- the oldest message's enqueue time is the CloudWatch datapoint's timestamp minus its age (the
  period's start: up to a minute early, so a loss ETA errs on the early side);
- a **standard** DLQ's ``ApproximateAgeOfOldestMessage`` counts from the move into the DLQ, while
  expiry counts from the original enqueue: the message cannot have spent longer than the source
  queue's retention there, so the countdown is the worst case (``"worst_case"``). A FIFO DLQ's
  enqueue time resets on the move, so its age is exact (``"enqueue_time"``).
"""

from __future__ import annotations

from dataclasses import replace

from edgewatch.config import ForecastSettings
from edgewatch.forecast.flow import QueueFlow
from edgewatch.forecast.model import ExpiryBasis, FlowSample, Forecast, MinutePoint
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus

MINUTE_S = 60.0


def _enqueued_at(q: QueueStatus) -> float | None:
    if q.oldest_age_s is None or q.oldest_age_at is None:
        return None
    return q.oldest_age_at.timestamp() - q.oldest_age_s


def sample_of(q: QueueStatus, at: float) -> FlowSample:
    return FlowSample(
        at=q.updated_at if q.updated_at is not None else at,
        visible=q.visible,
        in_flight=q.in_flight,
        delayed=q.delayed,
        retention_s=q.retention_s,
        oldest_enqueued_at=_enqueued_at(q),
        counts=q.counts,
    )


def dlq_sample_of(
    source: QueueStatus, dlq: QueueStatus, at: float
) -> tuple[FlowSample, ExpiryBasis]:
    sample = sample_of(dlq, at)
    if dlq.fifo:
        return sample, "enqueue_time"
    moved_at = sample.oldest_enqueued_at
    worst = None
    if moved_at is not None and source.retention_s is not None:
        worst = moved_at - source.retention_s
    return replace(sample, oldest_enqueued_at=worst), "worst_case"


def _minute_sample(q: QueueStatus, m: MinutePoint) -> FlowSample:
    return FlowSample(
        at=m.at + MINUTE_S,
        visible=m.visible,
        retention_s=q.retention_s,
        oldest_enqueued_at=None if m.oldest_age_s is None else m.at - m.oldest_age_s,
    )


def history_of(
    q: QueueStatus, since: float | None, before: float
) -> list[tuple[FlowSample, FlowSample | None]]:
    """The CloudWatch minutes of ``q`` (and of its DLQ, same minute) not yet observed: after
    ``since`` and before the current sample at ``before``, oldest first."""
    if not q.minutes or (since is not None and q.minutes[-1].at + MINUTE_S <= since):
        return []  # every poll, for every queue: the common case must cost nothing
    dlq_minutes = {m.at: m for m in q.dlq.minutes} if q.dlq is not None else {}
    out = []
    for m in q.minutes:
        end = m.at + MINUTE_S
        if m.visible is None or end >= before or (since is not None and end <= since):
            continue
        d = dlq_minutes.get(m.at)
        dlq = None
        if d is not None and d.visible is not None:
            dlq = FlowSample(at=end, visible=d.visible)
        out.append((_minute_sample(q, m), dlq))
    return out


class ForecastBook:
    """Keeps one tracker per queue URL; :meth:`update` returns ``{queue key: Forecast}``."""

    def __init__(self, settings: ForecastSettings | None = None) -> None:
        self.settings = settings or ForecastSettings()
        self._flows: dict[str, QueueFlow] = {}
        self.latest: dict[str, Forecast] = {}
        self._seen: dict[str, tuple[QueueStatus, Forecast]] = {}  # the status last observed

    def _flow(self, key: str) -> QueueFlow:
        flow = self._flows.get(key)
        if flow is None:
            s = self.settings
            flow = self._flows[key] = QueueFlow(
                smoothing_s=s.smoothing_s,
                dlq_window_s=s.dlq_window_s,
                periods=s.periods,
                stall_s=s.stall_s,
            )
        return flow

    def update(self, snapshot: MetricsSnapshot) -> dict[str, Forecast]:
        """Feed every freshly read queue; stale or failed ones keep their previous forecast."""
        out: dict[str, Forecast] = {}
        for q in snapshot.queues:
            key = q.url or q.name
            flow = self._flow(key)
            if q.error is not None or q.stale or q.visible is None:
                out[key] = flow.last or Forecast()
                continue
            seen = self._seen.get(key)
            if seen is not None and seen[0] is q and q.updated_at is not None:
                # The very status of last time (a fleet poller keeps unchanged rows' objects):
                # the same sample again would change nothing, so skip the work.
                out[key] = seen[1]
                continue
            dlq_sample, basis = (None, "enqueue_time")
            if q.dlq is not None and q.dlq.error is None and not q.dlq.stale:
                dlq_sample, basis = dlq_sample_of(q, q.dlq, snapshot.polled_at)
            current = sample_of(q, snapshot.polled_at)
            # A CloudWatch read brings several minutes: each is a sample, in order, so that
            # rates, stalls and DLQ inflow have minute resolution whatever the read interval.
            for period in q.periods:
                if period.at + period.period_s < current.at:
                    flow.add_period(period)
            for minute, dlq_minute in history_of(q, flow.seen_until, current.at):
                flow.observe(minute, has_dlq=q.dlq_url is not None, dlq=dlq_minute)
            out[key] = flow.observe(
                current,
                has_dlq=q.dlq_url is not None,
                dlq=dlq_sample,
                dlq_basis=basis,  # type: ignore[arg-type]
            )
            self._seen[key] = (q, out[key])
        for gone in set(self._flows) - set(out):
            del self._flows[gone]
            self._seen.pop(gone, None)
        self.latest = out
        return out
