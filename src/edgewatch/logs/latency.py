"""Sliding-window latency percentiles from worker log lines, with invocation counts.

Two series. **Latency** is the worker's own processing time when it logs one (``latency_ms`` or
the ``[logs.fields]`` mapping); a worker that logs none is a Lambda function whose REPORT line
or ``platform.report`` record gives the invocation's ``Duration`` (never ``Billed Duration``,
which includes init). Once a worker's own latency is seen, durations are left out, so the two
are never mixed. **Queue lag** is ``queue_lag_ms``, or the record's time minus an emitted-at or
SQS ``SentTimestamp`` field. Per second, the REPORT lines also count invocations, cold starts
(an init duration), failed and timed-out invocations, and the handler's error lines.
When a series cannot be computed from the lines seen, :meth:`LatencyStats.unavailable` says why.

A sample belongs to the second of its *event* time, so a
backfill (``--since 15m``) or a late CloudWatch page lands where it happened, not when it was
read. ``tick(now)`` closes whole seconds: each yields one point, the p50/p95/p99 of the samples in
``(second - window_s, second]``.

Percentiles are exact over the window (linear interpolation between closest ranks, numpy's
default and ``statistics.quantiles(method="inclusive")``): samples are kept per second, each
second sorted once (again only if a late sample lands in it), and a point sorts the
concatenation of those sorted runs, which Timsort merges in about half the time of a full sort.
Memory is bounded three ways: seconds older than the window are evicted, a hard sample cap
drops the oldest seconds first, and the history of points is a fixed-size deque.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from edgewatch.logs.formats import ERROR_LEVELS
from edgewatch.logs.models import LogLine

SeriesName = Literal["latency", "queue_lag"]
LatencySource = Literal["field", "duration"]
COUNTERS = ("invocations", "cold_starts", "errors", "invocation_errors", "timeouts")
NO_LATENCY = (
    "no latency in these logs: no latency_ms field (map one with [logs.fields].latency_ms) "
    "and no Lambda REPORT or platform.report lines"
)
NO_QUEUE_LAG = (
    "no queue lag in these logs: no queue_lag_ms, emitted_at or SentTimestamp field "
    "(map one with [logs.fields].queue_lag_ms or .emitted_at)"
)
SERIES: tuple[SeriesName, ...] = ("latency", "queue_lag")
PERCENTILES = (0.50, 0.95, 0.99)
MAX_SAMPLES = 200_000  # per series; ~3,300 samples/s over a 60 s window before it bites


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, interpolating between closest ranks."""
    if not sorted_values:
        raise ValueError("no values")
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    """One second of one series; percentiles are ``None`` when the window had no samples."""

    t: int  # epoch second the point closes
    count: int
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True, slots=True)
class LatencySeries:
    """The chart's data: per-second points, oldest first, for both series."""

    latency: tuple[LatencyPoint, ...]
    queue_lag: tuple[LatencyPoint, ...]

    def last(self, name: SeriesName) -> LatencyPoint | None:
        points = self.latency if name == "latency" else self.queue_lag
        return points[-1] if points else None


class _Window:
    """Samples of one series grouped by epoch second."""

    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self.buckets: dict[int, list[float]] = {}
        self.unsorted: set[int] = set()  # seconds whose bucket got samples since its last sort
        self.count = 0
        self.dropped = 0

    def add(self, second: int, value: float) -> None:
        bucket = self.buckets.get(second)
        if bucket is None:
            bucket = self.buckets[second] = []
        bucket.append(value)
        self.unsorted.add(second)
        self.count += 1
        while self.count > self.max_samples:
            oldest = min(self.buckets)
            self.count -= len(self.buckets[oldest])
            self.dropped += len(self.buckets.pop(oldest))
            self.unsorted.discard(oldest)

    def evict_through(self, second: int) -> None:
        for key in [k for k in self.buckets if k <= second]:
            self.count -= len(self.buckets.pop(key))
            self.unsorted.discard(key)

    def clear(self) -> None:
        self.buckets.clear()
        self.unsorted.clear()
        self.count = 0

    def point(self, second: int, window_s: float) -> LatencyPoint:
        low = second - window_s
        values: list[float] = []
        for key, bucket in self.buckets.items():
            if low < key <= second:
                if key in self.unsorted:
                    bucket.sort()
                    self.unsorted.discard(key)
                values.extend(bucket)
        if not values:
            return LatencyPoint(second, 0, None, None, None)
        values.sort()
        p50, p95, p99 = (percentile(values, q) for q in PERCENTILES)
        return LatencyPoint(second, len(values), p50, p95, p99)


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What the REPORT lines and error lines of one window say (``errors``: error lines the
    handler logged; ``invocation_errors``/``timeouts``: invocations that ended so)."""

    invocations: int = 0
    cold_starts: int = 0
    errors: int = 0
    invocation_errors: int = 0
    timeouts: int = 0

    def to_json(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


def samples_of(line: LogLine) -> tuple[float | None, float | None]:
    """``(latency_ms, queue_lag_ms)`` the worker logged itself; ``None`` where it does not say.

    Queue lag from an emitted-at time is measured to the record's own time, else the event's.
    """
    info = line.info
    lag = info.queue_lag_ms
    if lag is None and info.emitted_at_ms is not None:
        end = info.record_time_ms if info.record_time_ms is not None else float(line.timestamp)
        lag = end - info.emitted_at_ms
    return info.latency_ms, lag


def _counts_of(line: LogLine) -> tuple[int, int, int, int, int]:
    info = line.info
    if info.kind == "report":
        return (
            1,
            int(info.init_duration_ms is not None),
            0,
            int(info.status == "error"),
            int(info.status == "timeout"),
        )
    if info.kind == "app" and line.level in ERROR_LEVELS:
        return 0, 0, 1, 0, 0
    return 0, 0, 0, 0, 0


class LatencyStats:
    """Feed it lines (:meth:`add`), call :meth:`tick` about once a second, draw :meth:`series`.

    ``window_s`` is the sliding window; ``history`` the number of per-second points kept.
    Samples older than the window at the last tick can no longer change a point and are
    counted in :attr:`late` instead of kept.
    """

    def __init__(
        self, window_s: float = 60.0, history: int = 300, max_samples: int = MAX_SAMPLES
    ) -> None:
        if window_s <= 0 or history < 1:
            raise ValueError("window_s must be positive and history at least 1")
        self.window_s = window_s
        self.history = history
        self._windows = {name: _Window(max_samples) for name in SERIES}
        self._points: dict[SeriesName, deque[LatencyPoint]] = {
            name: deque(maxlen=history) for name in SERIES
        }
        self._last_tick: int | None = None
        self._counts: dict[int, list[int]] = {}
        self.late = 0
        self._lag_seen = False
        self.lines_seen = 0
        self.latency_source: LatencySource | None = None  # what the latency series is made of

    @property
    def sample_count(self) -> int:
        """Samples held in memory across both series (bounded by the window and the cap)."""
        return sum(w.count for w in self._windows.values())

    @property
    def dropped(self) -> int:
        """Samples dropped by the cap (more than ``max_samples`` in one window)."""
        return sum(w.dropped for w in self._windows.values())

    def add(self, line: LogLine) -> bool:
        """Take the line's samples, if any; ``True`` when it had at least one."""
        self.lines_seen += 1
        latency, lag = samples_of(line)
        if latency is not None:
            if self.latency_source != "field":
                self._windows["latency"].clear()  # durations so far: the worker's own wins
            self.latency_source = "field"
        elif line.info.duration_ms is not None and self.latency_source != "field":
            latency = line.info.duration_ms
            self.latency_source = "duration"
        counts = _counts_of(line)
        if any(counts):
            second = math.floor(line.timestamp / 1000)
            if self._last_tick is None or second > self._last_tick - self.window_s:
                bucket = self._counts.setdefault(second, [0] * len(COUNTERS))
                for i, n in enumerate(counts):
                    bucket[i] += n
        took = False
        for name, value in (("latency", latency), ("queue_lag", lag)):
            if value is not None:
                self.add_sample(name, line.timestamp / 1000, value)  # type: ignore[arg-type]  # name: a SeriesName literal of the tuple above
                took = True
        return took

    def add_many(self, lines: Iterable[LogLine]) -> int:
        return sum(self.add(line) for line in lines)

    def add_sample(self, name: SeriesName, at: float, value: float) -> None:
        """One sample of ``name`` at epoch seconds ``at``."""
        second = math.floor(at)
        if name == "queue_lag":
            self._lag_seen = True
        if self._last_tick is not None and second <= self._last_tick - self.window_s:
            self.late += 1
            return
        self._windows[name].add(second, value)

    def tick(self, now: float) -> list[tuple[LatencyPoint, LatencyPoint]]:
        """Close every whole second up to ``now``; return the new ``(latency, lag)`` points.

        Seconds skipped since the last tick (a busy UI, a suspended laptop) get their points
        too, as far back as the history holds.
        """
        current = math.floor(now)
        first = current if self._last_tick is None else self._last_tick + 1
        first = max(first, current - self.history + 1)
        new: list[tuple[LatencyPoint, LatencyPoint]] = []
        for second in range(first, current + 1):
            pair = tuple(self._windows[name].point(second, self.window_s) for name in SERIES)
            for name, point in zip(SERIES, pair, strict=True):
                self._points[name].append(point)
            new.append(pair)  # type: ignore[arg-type]  # a pair: zip over SERIES, two names
        if current >= first:
            self._last_tick = current
        for window in self._windows.values():
            window.evict_through(math.floor(current - self.window_s))
        for key in [k for k in self._counts if k <= current - self.window_s]:
            del self._counts[key]
        return new

    def counts(self) -> WindowCounts:
        """Invocations, cold starts, errors and timeouts in the window of the last tick."""
        if self._last_tick is None:
            seconds = list(self._counts.values())
        else:
            low = self._last_tick - self.window_s
            seconds = [v for k, v in self._counts.items() if low < k <= self._last_tick]
        totals = [sum(values) for values in zip(*seconds, strict=True)] if seconds else []
        return WindowCounts(*totals) if totals else WindowCounts()

    def unavailable(self, name: SeriesName) -> str | None:
        """Why ``name`` cannot be computed from the lines seen so far (``None``: it can, or
        no line arrived yet to tell)."""
        if not self.lines_seen:
            return None
        if name == "latency":
            return None if self.latency_source is not None else NO_LATENCY
        return None if self._lag_seen else NO_QUEUE_LAG

    def series(self) -> LatencySeries:
        return LatencySeries(
            latency=tuple(self._points["latency"]), queue_lag=tuple(self._points["queue_lag"])
        )

    def reset(self) -> None:
        """Forget samples and points (a new source, a cleared view)."""
        for window in self._windows.values():
            window.clear()
        for points in self._points.values():
            points.clear()
        self._counts.clear()
        self._last_tick = None
        self.lines_seen = 0
        self._lag_seen = False
        self.latency_source = None
