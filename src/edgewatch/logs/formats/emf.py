"""CloudWatch Embedded Metric Format: ``{"_aws": {"CloudWatchMetrics": [...]}, <values>}``.

A metrics flush, not a log message: shown compactly as ``EMF Namespace: Name=value …``.
"""

from __future__ import annotations

from typing import Any

from edgewatch.logs.formats.info import LineInfo
from edgewatch.logs.formats.values import epoch_ms, ident, number

Parsed = tuple[str | None, str | None, LineInfo]
MAX_SHOWN = 8


def matches(data: dict[str, Any]) -> bool:
    aws = data.get("_aws")
    return isinstance(aws, dict) and isinstance(aws.get("CloudWatchMetrics"), list)


def parse(data: dict[str, Any]) -> Parsed:
    aws = data["_aws"]
    parts: list[str] = []
    for directive in aws["CloudWatchMetrics"][:MAX_SHOWN]:
        if not isinstance(directive, dict):
            continue
        names: list[str] = []
        metrics = directive.get("Metrics")
        for metric in metrics[:MAX_SHOWN] if isinstance(metrics, list) else ():
            name = ident(metric.get("Name")) if isinstance(metric, dict) else None
            if name is None:
                continue
            value = data.get(name)
            shown = number(value)
            if shown is None and isinstance(value, list):
                shown_text = f"[{len(value)} values]"
            else:
                shown_text = "?" if shown is None else f"{shown:g}"
            names.append(f"{name}={shown_text}")
        namespace = ident(directive.get("Namespace")) or "?"
        parts.append(f"{namespace}: {' '.join(names)}")
    info = LineInfo(
        "emf",
        "emf",
        record_time_ms=epoch_ms(aws.get("Timestamp")),
        summary="EMF " + "; ".join(parts),
    )
    return None, None, info
