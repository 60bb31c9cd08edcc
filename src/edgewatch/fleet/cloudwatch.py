"""Batched ``GetMetricData`` for many queues: ≤500 queries per call, minute-aligned, paged."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from edgewatch.fleet.cost import METRIC_QUERIES_PER_CALL, CallMeter

LOOKBACK = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    prefix: str  # query id prefix, one lowercase letter
    name: str  # AWS/SQS metric name
    stat: str


async def fetch_metrics(
    cloudwatch: Any,
    names: list[str],
    specs: list[MetricSpec],
    *,
    now: float,
    timeout: float,
    meter: CallMeter | None = None,
) -> dict[tuple[str, str], list[tuple[datetime, float]]]:
    """``(spec prefix, queue name) -> datapoints oldest first``; a queue without data is absent."""
    found: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
    if not names or not specs:
        return found
    end = datetime.fromtimestamp((now // 60 + 1) * 60, UTC)
    per_call = max(1, METRIC_QUERIES_PER_CALL // len(specs))
    for start in range(0, len(names), per_call):
        chunk = names[start : start + per_call]
        queries = [
            {
                "Id": f"{spec.prefix}{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": spec.name,
                        "Dimensions": [{"Name": "QueueName", "Value": name}],
                    },
                    "Period": 60,
                    "Stat": spec.stat,
                },
                "ReturnData": True,
            }
            for i, name in enumerate(chunk)
            for spec in specs
        ]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": end - LOOKBACK,
                "EndTime": end,
                "ScanBy": "TimestampDescending",
            }
            if token:
                kwargs["NextToken"] = token
            if meter is not None:
                meter.record("GetMetricData", metrics=len(queries))
            resp = await asyncio.wait_for(cloudwatch.get_metric_data(**kwargs), timeout=timeout)
            for result in resp.get("MetricDataResults", []):
                qid = result.get("Id", "")
                prefix, index = qid[:1], qid[1:]
                if not index.isdigit() or int(index) >= len(chunk):
                    continue
                points = list(
                    zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                )
                if points:
                    key = (prefix, chunk[int(index)])
                    merged = [*found.get(key, []), *((ts, float(v)) for ts, v in points)]
                    found[key] = sorted(merged, key=lambda p: p[0])
            token = resp.get("NextToken")
            if not token:
                break
    return found
