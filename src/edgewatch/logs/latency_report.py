"""The chart's numbers for a span of logs, once: what ``edgewatch latency`` prints.

The same engine as the chart (:class:`~edgewatch.logs.latency.LatencyStats`) with its window
set to the span: one tick at the end gives the p50/p95/p99 over every sample of the span, with
the invocation counts. A series these logs cannot give is ``None`` with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edgewatch.logs.latency import LatencyPoint, LatencyStats, SeriesName, WindowCounts
from edgewatch.logs.tail import LogTail

SCHEMA_VERSION = 1


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class SeriesReport:
    name: SeriesName
    source: str  # "latency_ms" (the worker's field), "duration" (REPORT), "queue_lag"
    point: LatencyPoint

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "count": self.point.count,
            "p50": self.point.p50,
            "p95": self.point.p95,
            "p99": self.point.p99,
        }


@dataclass(frozen=True, slots=True)
class LatencyReport:
    since: float
    until: float
    sources: tuple[str, ...]
    lines: int
    latency: SeriesReport | None
    queue_lag: SeriesReport | None
    unavailable: dict[str, str | None]
    counts: WindowCounts
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The documented ``edgewatch latency --json`` object (README, "latency --json")."""
        return {
            "schema": SCHEMA_VERSION,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "window_s": round(self.until - self.since, 3),
            "sources": list(self.sources),
            "lines": self.lines,
            "series": {
                "latency": self.latency.to_json() if self.latency else None,
                "queue_lag": self.queue_lag.to_json() if self.queue_lag else None,
            },
            "unavailable": dict(self.unavailable),
            "counts": self.counts.to_json(),
            "problems": list(self.problems),
        }


async def measure(tail: LogTail, *, since: float, until: float | None = None) -> LatencyReport:
    """Read ``tail`` (one-shot) to its end and compute the span's percentiles and counts."""
    until = time.time() if until is None else until
    # One second more than the span: the first, partial second is in the window too.
    stats = LatencyStats(window_s=max(1.0, until - since) + 1.0, history=1)
    problems: list[str] = []
    async for batch in tail:
        stats.add_many(line for line in batch.lines if line.timestamp <= until * 1000)
        problems += [f"{n.source}: {n.message}" for n in batch.notices if n.kind == "error"]
    stats.tick(until)
    series = stats.series()
    reports: dict[SeriesName, SeriesReport | None] = {}
    unavailable: dict[str, str | None] = {}
    names: tuple[SeriesName, ...] = ("latency", "queue_lag")
    for name in names:
        point = series.last(name)
        reason = stats.unavailable(name)
        if reason is None and (point is None or point.count == 0):
            reason = "no samples in this span" if stats.lines_seen else "no log lines in this span"
        if reason is not None or point is None:
            reports[name] = None
            unavailable[name] = reason
            continue
        source = (
            name
            if name == "queue_lag"
            else ("duration" if stats.latency_source == "duration" else "latency_ms")
        )
        reports[name] = SeriesReport(name, source, point)
        unavailable[name] = None
    return LatencyReport(
        since=since,
        until=until,
        sources=tuple(s.name for s in tail.sources),
        lines=stats.lines_seen,
        latency=reports["latency"],
        queue_lag=reports["queue_lag"],
        unavailable=unavailable,
        counts=stats.counts(),
        problems=tuple(dict.fromkeys(problems)),
    )
