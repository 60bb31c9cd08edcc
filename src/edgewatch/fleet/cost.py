"""What polling costs, and how a budget slows it.

Prices (AWS list prices, standard tier): SQS requests $0.40 per million; CloudWatch
``GetMetricData`` $0.01 per 1,000 metrics requested (each query of a call is one metric, whatever
the number of datapoints). ``ListQueues`` and ``ListQueueTags`` are SQS requests too.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SQS_USD_PER_REQUEST = 0.40 / 1_000_000
CW_USD_PER_METRIC = 0.01 / 1_000
METRIC_QUERIES_PER_CALL = 500
MINUTES_PER_DAY = 1440
CW_SHARE_OF_BUDGET = 0.8  # a dollar budget leaves at least 20 % to SQS reads


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """API calls per minute and dollars per day at the current settings."""

    sqs_calls_per_min: float
    cw_calls_per_min: float
    metrics_per_min: float

    @property
    def calls_per_min(self) -> float:
        return self.sqs_calls_per_min + self.cw_calls_per_min

    @property
    def usd_per_day(self) -> float:
        return MINUTES_PER_DAY * (
            self.sqs_calls_per_min * SQS_USD_PER_REQUEST + self.metrics_per_min * CW_USD_PER_METRIC
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "calls_per_min": round(self.calls_per_min, 1),
            "sqs_calls_per_min": round(self.sqs_calls_per_min, 1),
            "cloudwatch_calls_per_min": round(self.cw_calls_per_min, 2),
            "metrics_per_min": round(self.metrics_per_min, 1),
            "usd_per_day": round(self.usd_per_day, 4),
        }


def cloudwatch_calls(queues: int, metrics_per_queue: int, sources: int = 1) -> int:
    """``GetMetricData`` calls for one read of every queue (≤500 queries per call, per region)."""
    if queues <= 0:
        return 0
    per_call = max(1, METRIC_QUERIES_PER_CALL // metrics_per_queue) * metrics_per_queue
    return max(sources, math.ceil(queues * metrics_per_queue / per_call))


@dataclass(frozen=True, slots=True)
class PollPlan:
    """Intervals that fit the budget: CloudWatch every ``cw_interval_s``, and ``sqs_per_min``
    ``GetQueueAttributes``/``ListQueues``/``ListQueueTags`` calls per minute at most."""

    cw_interval_s: float
    sqs_per_min: float

    def estimate(
        self,
        *,
        queues: int,
        metrics_per_queue: int,
        sources: int,
        hot: int,
        poll_interval: float,
        discover_per_min: float,
    ) -> CostEstimate:
        """The cost of this plan with ``hot`` queues polled at ``poll_interval`` (budget-capped)."""
        reads = min(hot * 60.0 / poll_interval + discover_per_min, self.sqs_per_min)
        cw_calls = cloudwatch_calls(queues, metrics_per_queue, sources) * 60.0 / self.cw_interval_s
        metrics = queues * metrics_per_queue * 60.0 / self.cw_interval_s
        return CostEstimate(reads, cw_calls, metrics)


def plan_budget(
    *,
    queues: int,
    metrics_per_queue: int,
    sources: int,
    metrics_interval: float,
    calls_per_min: float,
    usd_per_day: float | None,
) -> PollPlan:
    """Fit CloudWatch and SQS reads into a calls/minute budget and an optional dollar budget.

    CloudWatch is stretched first (every queue needs it); SQS reads get what is left, at least
    one call a minute so a hot queue is never frozen.
    """
    cw_interval = metrics_interval
    if usd_per_day is not None and queues:
        cw_cap = usd_per_day * CW_SHARE_OF_BUDGET
        per_read = queues * metrics_per_queue * CW_USD_PER_METRIC
        cw_interval = max(cw_interval, per_read * MINUTES_PER_DAY * 60.0 / cw_cap)
    cw_calls = cloudwatch_calls(queues, metrics_per_queue, sources) * 60.0 / cw_interval
    if cw_calls > calls_per_min * CW_SHARE_OF_BUDGET:
        cw_interval *= cw_calls / (calls_per_min * CW_SHARE_OF_BUDGET)
        cw_calls = calls_per_min * CW_SHARE_OF_BUDGET
    sqs = calls_per_min - cw_calls
    if usd_per_day is not None:
        metrics_per_day = queues * metrics_per_queue * MINUTES_PER_DAY * 60.0 / cw_interval
        left = usd_per_day - metrics_per_day * CW_USD_PER_METRIC
        sqs = min(sqs, left / SQS_USD_PER_REQUEST / MINUTES_PER_DAY)
    return PollPlan(cw_interval_s=cw_interval, sqs_per_min=max(1.0, sqs))


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; one API call takes one token."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self._at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self, n: float = 1.0, *, keep: float = 0.0) -> bool:
        """Take ``n`` tokens if at least ``keep`` remain afterwards."""
        self._refill()
        if self.tokens - n < keep:
            return False
        self.tokens -= n
        return True

    def charge(self, n: float) -> None:
        """Calls that must happen (CloudWatch, discovery) are paid for even into debt."""
        self._refill()
        self.tokens -= n


class CallMeter:
    """API calls in the last minute, by operation (what the status bar shows)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, window_s: float = 60.0):
        self.clock, self.window_s = clock, window_s
        self._calls: deque[tuple[float, str, int]] = deque()
        self.total = 0
        self.metrics_total = 0

    def record(self, operation: str, *, metrics: int = 0) -> None:
        self._calls.append((self.clock(), operation, metrics))
        self.total += 1
        self.metrics_total += metrics

    def _trim(self) -> None:
        edge = self.clock() - self.window_s
        while self._calls and self._calls[0][0] < edge:
            self._calls.popleft()

    def per_min(self) -> dict[str, int]:
        self._trim()
        out: dict[str, int] = {}
        for _, op, _m in self._calls:
            out[op] = out.get(op, 0) + 1
        return out

    def calls_last_min(self) -> int:
        self._trim()
        return len(self._calls)
