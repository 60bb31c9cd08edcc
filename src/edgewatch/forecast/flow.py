"""Flow and forecasts for one queue, from successive samples (no I/O, no clock of its own).

Sources, in order of trust:
- **CloudWatch counts** (``NumberOfMessagesSent/Received/Deleted``, one period each): in and out
  rates, the net rate fed to the EWMA once per new period, retries (received − deleted) and a
  consumer that deletes nothing;
- **depth deltas** between two polls when the endpoint has no counts (LocalStack, moto): only the
  net rate can be known, labelled ``"estimated"``; in and out stay ``None``.

A DLQ's inflow always comes from its depth: messages moved by a redrive policy are not counted in
the DLQ's ``NumberOfMessagesSent``. Expiry counts from the original enqueue time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from edgewatch.forecast.ewma import Ewma
from edgewatch.forecast.model import (
    CountsPeriod,
    ExpiryBasis,
    FlowSample,
    Forecast,
    RateSource,
    Trend,
)

STEADY_PER_S = 0.01  # |net| below this (36 messages an hour) is neither draining nor growing
COUNTS_STALE_S = 900.0  # CloudWatch may go quiet this long for an idle queue before we give up
ENQUEUE_JITTER_S = 60.0  # the oldest message's enqueue time, derived per 1-minute datapoint


class QueueFlow:
    """Tracks one queue (and its DLQ) across polls; :meth:`observe` returns the forecast."""

    def __init__(
        self,
        *,
        smoothing_s: float = 300.0,
        dlq_window_s: float = 300.0,
        periods: int = 3,
        stall_s: float = 300.0,
    ) -> None:
        self.net = Ewma(smoothing_s)
        self.dlq_window_s = dlq_window_s
        self.stall_s = stall_s
        self.source: RateSource | None = None
        self._periods: deque[CountsPeriod] = deque(maxlen=periods)
        self._counts_seen_at: float | None = None
        self._prev: tuple[float, int] | None = None  # (at, backlog) of the previous sample
        self._oldest: tuple[float, float] | None = None  # (enqueued_at, first seen at)
        self._consumed = False  # the oldest message was seen to change: somebody consumes
        self._dlq: deque[tuple[float, int]] = deque()
        self.last: Forecast | None = None
        self._seen_at: float | None = None

    # -- rates ---------------------------------------------------------------------------------

    def add_period(self, c: CountsPeriod) -> None:
        """One CloudWatch period of counts (in time order; an old or repeated one is ignored):
        a read of several minutes feeds each of them, so the rates keep minute resolution."""
        if c.sent is None or c.deleted is None or c.period_s <= 0:
            return
        if self.source != "cloudwatch":
            self.net.reset()
            self._periods.clear()
            self.source = "cloudwatch"
        end = c.at + c.period_s
        self._counts_seen_at = max(self._counts_seen_at or end, end)
        if not self._periods or c.at > self._periods[-1].at:
            self._periods.append(c)
            self.net.update((c.sent - c.deleted) / c.period_s, at=end)

    @property
    def seen_until(self) -> float | None:
        """The time of the latest sample observed."""
        return self._seen_at

    def _update_net(self, s: FlowSample) -> None:
        c = s.counts
        if c is not None and c.sent is not None and c.deleted is not None and c.period_s > 0:
            self.add_period(c)
            self._counts_seen_at = max(self._counts_seen_at or s.at, s.at)
        elif not (
            self.source == "cloudwatch"
            and self._counts_seen_at is not None
            and s.at - self._counts_seen_at < COUNTS_STALE_S
        ):
            if self.source != "estimated":
                self.net.reset()
                self._periods.clear()
                self.source = "estimated"
            backlog = s.backlog
            if self._prev is not None and backlog is not None and s.at > self._prev[0]:
                at0, b0 = self._prev
                self.net.update((backlog - b0) / (s.at - at0), at=s.at)
        if s.backlog is not None:
            self._prev = (s.at, s.backlog)

    @staticmethod
    def _trend(backlog: int | None, net: float | None) -> tuple[Trend | None, float | None]:
        """(trend, drain ETA in seconds)."""
        if backlog is None:
            return None, None
        if backlog == 0:
            return "empty", 0.0
        if net is None:
            return None, None
        if net <= -STEADY_PER_S:
            return "draining", backlog / -net
        if net >= STEADY_PER_S:
            return "growing", None
        return "steady", None

    def _retries(self, has_dlq: bool) -> tuple[float | None, bool | None]:
        known = [p for p in self._periods if p.received is not None and p.deleted is not None]
        if self.source != "cloudwatch" or not known or known[-1] is not self._periods[-1]:
            return None, None
        latest = known[-1]
        rate = (latest.received - latest.deleted) / latest.period_s  # type: ignore[operator]
        if not has_dlq:
            return rate, None
        if rate <= 0:
            return rate, False
        if len(known) == self._periods.maxlen and all(
            p.received - p.deleted > 0  # type: ignore[operator]
            for p in known
        ):
            return rate, True
        return rate, None

    def _stalled(self, s: FlowSample) -> bool | None:
        backlog = s.backlog
        if backlog is None:
            return None
        if backlog == 0:
            self._oldest = None
            return False
        if self.source == "cloudwatch":
            deleted = [p.deleted for p in self._periods if p.deleted is not None]
            if deleted and deleted[-1] > 0:
                return False
            if len(deleted) == self._periods.maxlen and not any(deleted):
                return True
            return None
        # No counts: the same oldest message that only ages means nobody consumes it; an oldest
        # message that moved forward means somebody does.
        enq = s.oldest_enqueued_at
        if enq is None:
            return None
        if self._oldest is None or enq < self._oldest[0] - ENQUEUE_JITTER_S:
            self._oldest, self._consumed = (enq, s.at), False
            return None
        if enq > self._oldest[0] + ENQUEUE_JITTER_S:
            self._oldest, self._consumed = (enq, s.at), True
            return False
        if s.at - self._oldest[1] >= self.stall_s:
            return True
        return False if self._consumed else None

    # -- DLQ -----------------------------------------------------------------------------------

    def _dlq_inflow(self, dlq: FlowSample) -> float | None:
        backlog = dlq.backlog
        if backlog is None:
            return None
        if self._dlq and dlq.at <= self._dlq[-1][0]:
            self._dlq.pop()
        self._dlq.append((dlq.at, backlog))
        # Keep one sample at or before the window's start as the baseline.
        while len(self._dlq) >= 2 and self._dlq[1][0] <= dlq.at - self.dlq_window_s:
            self._dlq.popleft()
        if len(self._dlq) < 2:
            return None
        span = self._dlq[-1][0] - self._dlq[0][0]
        rises = sum(
            max(0, b - a) for (_, a), (_, b) in zip(self._dlq, list(self._dlq)[1:], strict=False)
        )
        return rises / span if span > 0 else None

    # -- one observation -----------------------------------------------------------------------

    def observe(
        self,
        s: FlowSample,
        *,
        has_dlq: bool = False,
        dlq: FlowSample | None = None,
        dlq_basis: ExpiryBasis = "enqueue_time",
    ) -> Forecast:
        self._update_net(s)
        self._seen_at = s.at if self._seen_at is None else max(self._seen_at, s.at)
        backlog = s.backlog
        net = self.net.value
        trend, drain_eta = self._trend(backlog, net)
        cw = self._periods[-1] if self.source == "cloudwatch" and self._periods else None
        age = None if s.oldest_enqueued_at is None else max(0.0, s.at - s.oldest_enqueued_at)
        loss = None
        if age is not None and s.retention_s is not None and backlog:
            loss = max(0.0, s.retention_s - age)
        retry_rate, retries = self._retries(has_dlq or dlq is not None)
        forecast = Forecast(
            backlog=backlog,
            in_per_s=None if cw is None or cw.sent is None else cw.sent / cw.period_s,
            out_per_s=None if cw is None or cw.deleted is None else cw.deleted / cw.period_s,
            net_per_s=net,
            rate_source=self.source if net is not None or cw is not None else None,
            trend=trend,
            drain_eta_s=drain_eta,
            growing_per_s=net if trend == "growing" else None,
            oldest_age_s=age if backlog else None,
            retention_s=s.retention_s,
            loss_eta_s=loss,
            retry_per_s=retry_rate,
            retries_to_dlq=retries,
            stalled=self._stalled(s),
        )
        if dlq is not None:
            inflow = self._dlq_inflow(dlq)
            expiry = None
            dlq_backlog = dlq.backlog
            if dlq_backlog and dlq.oldest_enqueued_at is not None and dlq.retention_s is not None:
                expiry = max(0.0, dlq.retention_s - (dlq.at - dlq.oldest_enqueued_at))
            forecast = _with_dlq(forecast, dlq_backlog, inflow, expiry, dlq_basis)
        self.last = forecast
        return forecast


def _with_dlq(
    f: Forecast,
    backlog: int | None,
    inflow: float | None,
    expiry: float | None,
    basis: ExpiryBasis,
) -> Forecast:
    return replace(
        f,
        dlq_backlog=backlog,
        dlq_inflow_per_s=inflow,
        dlq_growing=None if inflow is None else inflow > 0,
        dlq_expiry_s=expiry,
        dlq_expiry_basis=basis if expiry is not None else None,
    )
