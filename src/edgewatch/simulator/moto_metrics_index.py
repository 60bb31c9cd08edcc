"""An indexed ``GetMetricData`` for moto, so a local stack can answer for 1,000 queues.

moto 5.2 answers each ``MetricStat`` query by scanning every datapoint of the time range once per
1-minute period: 500 queries over 15 minutes of 3,000 series cost ~10⁸ comparisons, tens of
seconds of the console's own process. This version groups the range's datapoints once per call
by metric and dimensions, then buckets each query's own datapoints by period: the same answers
(same filters — moto ignores the namespace when dimensions are given, and so does this — same
statistics, same order), in time linear in the datapoints. Calls with expressions (Metric Math,
Metrics Insights) and data with wildcard dimensions go to moto's own code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

_applied = False


def _dims_key(dimensions: Any) -> tuple[tuple[str, str], ...] | None:
    pairs = []
    for d in dimensions:
        if d.value is None:
            return None  # moto's wildcard equality: not indexable
        pairs.append((d.name, d.value))
    return tuple(sorted(pairs))


def indexed(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start = start_time.replace(microsecond=0)
        end = end_time.replace(microsecond=0)
        if start >= end or any("MetricStat" not in q for q in queries):
            scanned: list[dict[str, Any]] = original(self, queries, start_time, end_time, scan_by)
            return scanned
        from moto.cloudwatch.models import Statistics

        by_dims: dict[tuple[str, tuple[tuple[str, str], ...]], list[Any]] = defaultdict(list)
        by_name: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for md in self.get_all_metrics():
            if not start <= md.timestamp < end:
                continue
            key = _dims_key(md.dimensions)
            if key is None:
                unindexed: list[dict[str, Any]] = original(
                    self, queries, start_time, end_time, scan_by
                )
                return unindexed
            by_dims[(md.name, key)].append(md)
            by_name[(md.namespace, md.name)].append(md)

        out = []
        for query in queries:
            stat_spec = query["MetricStat"]
            metric = stat_spec["Metric"]
            name, stat = metric["MetricName"], stat_spec["Stat"]
            delta = timedelta(seconds=int(stat_spec["Period"]))
            dims = metric.get("Dimensions", [])
            if dims:
                key = tuple(sorted((d["Name"], d["Value"]) for d in dims))
                data = by_dims.get((name, key), [])
            else:
                data = by_name.get((metric["Namespace"], name), [])
            unit = stat_spec.get("Unit")
            if unit:
                data = [md for md in data if md.unit == unit]
            buckets: dict[int, list[Any]] = defaultdict(list)
            for md in data:
                buckets[int((md.timestamp - start) / delta)].append(md)
            values, stamps = [], []
            for index in sorted(buckets):
                stats = Statistics([stat], start + index * delta)
                stats.metric_data = buckets[index]
                values.append(stats.get_statistics_for_type(stat))
                stamps.append(stats.timestamp)
            if scan_by == "TimestampDescending":
                values.reverse()
                stamps.reverse()
            if query.get("ReturnData", True):
                out.append(
                    {
                        "id": query["Id"],
                        "label": query.get("Label") or f"{name} {stat}",
                        "values": values,
                        "timestamps": stamps,
                        "status_code": "Complete",
                    }
                )
        return out

    get_metric_data.__wrapped__ = original  # type: ignore[attr-defined]
    return get_metric_data


def apply_metrics_index() -> bool:
    """Install the indexed ``get_metric_data`` (idempotent); ``False`` if moto changed shape."""
    global _applied
    if _applied:
        return True
    try:
        from moto.cloudwatch.models import CloudWatchBackend, Statistics  # noqa: F401
    except ImportError:
        return False
    original = getattr(CloudWatchBackend, "get_metric_data", None)
    if not callable(original) or not callable(getattr(CloudWatchBackend, "get_all_metrics", None)):
        return False
    CloudWatchBackend.get_metric_data = indexed(original)  # type: ignore[method-assign]
    _applied = True
    return True
