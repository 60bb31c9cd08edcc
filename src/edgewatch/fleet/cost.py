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

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        initial: float | None = None,
    ):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst if initial is None else initial  # a first screen may start above
        self._at = clock()

    def _refill(self) -> None:
        now = self.clock()
        if self.tokens < self.burst:
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


class CallBudget:
    """One calls/minute budget for every API call, held over any 60 s window.

    Calls that must happen (``ListQueues`` pages, ``GetMetricData``) always go; ``reserve`` is
    the most of them any 60 s can hold (see :func:`charged_per_window`). Every other call
    (``GetQueueAttributes``, ``ListQueueTags``) is *asked for*: it goes only while the optional
    calls of the last 60 s stay under ``per_min - reserve`` and the pacing bucket has a token.
    So any window holds at most ``reserve`` charged calls plus ``per_min - reserve`` optional
    ones: ``per_min`` in all, whatever the screen asks for.
    """

    def __init__(
        self,
        per_min: float,
        *,
        first: float,
        pace_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = 60.0,
    ) -> None:
        """``first``: calls that may go at once at the start (a first screen of rows); after
        that at most ``pace_s`` seconds' worth at once, so that reads spread over the minute
        (and a slow poll loses none of its share)."""
        self.per_min = per_min
        self.clock = clock
        self.window_s = window_s
        self.reserve = 0.0
        self.pace_s = pace_s
        self.bucket = TokenBucket(
            per_min / 60.0, per_min / 60.0 * pace_s, clock=clock, initial=first
        )
        self._optional: deque[float] = deque()

    def set_reserve(self, reserve: float) -> None:
        self.reserve = min(reserve, self.per_min)
        self.bucket.rate = self.optional_per_min / 60.0
        self.bucket.burst = max(1.0, self.bucket.rate * self.pace_s)

    @property
    def optional_per_min(self) -> float:
        return max(0.0, self.per_min - self.reserve)

    def optional_last_min(self) -> int:
        edge = self.clock() - self.window_s  # inclusive, as the meter counts
        while self._optional and self._optional[0] < edge:
            self._optional.popleft()
        return len(self._optional)

    def ask(self, *, keep: float = 0.0) -> bool:
        """May one optional call go now? ``keep``: tokens it must leave for more urgent calls."""
        if self.optional_last_min() + 1 > self.optional_per_min:
            return False
        if not self.bucket.take(keep=keep):
            return False
        self._optional.append(self.clock())
        return True


def charged_per_window(
    *,
    cw_calls_per_read: int,
    cw_interval_s: float,
    list_pages: int,
    discover_interval_s: float,
    window_s: float = 60.0,
) -> int:
    """The most charged calls (reads that happen on a schedule) any ``window_s`` can hold.

    Reads at least ``interval`` seconds apart land at most ``floor(window / interval) + 1``
    times in a window that counts both ends (as the meter does).
    """

    def most(interval: float) -> int:
        return math.floor(window_s / interval) + 1 if interval > 0 else 0

    return cw_calls_per_read * most(cw_interval_s) + list_pages * most(discover_interval_s)


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


def polling_estimate(
    *, queues: int, poll_interval: float, metrics_interval: float, metrics_per_queue: int
) -> CostEstimate:
    """The cost of reading every queue by ``GetQueueAttributes`` each ``poll_interval`` and
    CloudWatch each ``metrics_interval`` (the design for a handful of queues)."""
    return CostEstimate(
        sqs_calls_per_min=queues * 60.0 / poll_interval,
        cw_calls_per_min=cloudwatch_calls(queues, metrics_per_queue) * 60.0 / metrics_interval,
        metrics_per_min=queues * metrics_per_queue * 60.0 / metrics_interval,
    )
