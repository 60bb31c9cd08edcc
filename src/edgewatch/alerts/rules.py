"""The alert rules: for one queue, which conditions are over their line and which are clear.

Each :class:`Check` has two lines. ``fire`` is the alert line (a threshold, a forecast limit);
``clear`` is the line back, ``hysteresis`` beyond it, so a value hovering at the threshold does
not flap. ``None`` means unknown (no datapoint): the alert keeps whatever state it had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from edgewatch.config import AlertSettings
from edgewatch.display.formatting import humanise_age
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus

AlertKind = Literal[
    "depth", "age", "dlq_depth", "loss_eta", "drain_eta", "dlq_growing", "stalled", "retries"
]


@dataclass(frozen=True, slots=True)
class Check:
    kind: AlertKind
    fire: bool | None
    clear: bool | None
    value: float | None
    limit: float | None
    summary: str  # what an operator reads: "depth 1,234 ≥ 1,000"


def _above(
    kind: AlertKind, value: float | None, limit: float | None, h: float, summary: str
) -> Check | None:
    """Fires at or above ``limit``; clears below ``limit × (1 − h)``."""
    if limit is None:
        return None
    if value is None:
        return Check(kind, None, None, None, limit, summary)
    return Check(kind, value >= limit, value < limit * (1 - h), value, limit, summary)


def _below(
    kind: AlertKind, value: float | None, limit: float | None, h: float, summary: str
) -> Check | None:
    """Fires at or below ``limit``; clears above ``limit × (1 + h)``."""
    if limit is None:
        return None
    if value is None:
        return Check(kind, None, None, None, limit, summary)
    return Check(kind, value <= limit, value > limit * (1 + h), value, limit, summary)


def _flag(kind: AlertKind, value: bool | None, summary: str) -> Check:
    if value is None:
        return Check(kind, None, None, None, None, summary)
    return Check(kind, value, not value, 1.0 if value else 0.0, None, summary)


def _n(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def checks(q: QueueStatus, f: Forecast | None, rules: AlertSettings) -> list[Check]:
    """Every rule that applies to ``q``. A DLQ's own row is judged through its source queue."""
    if q.is_dlq or q.error is not None:
        return []
    f = f or Forecast()
    h = rules.hysteresis
    t = q.thresholds
    out: list[Check | None] = [
        _above("depth", q.visible, t.depth, h, f"depth {_n(q.visible)} ≥ {_n(t.depth)}"),
        _above(
            "age",
            q.oldest_age_s,
            t.age_s,
            h,
            f"oldest message {humanise_age(q.oldest_age_s)} ≥ {humanise_age(t.age_s)}",
        ),
    ]
    if q.dlq is not None:
        held = q.dlq.held  # in flight too: browsing a DLQ must not resolve its alert
        out.append(
            _above(
                "dlq_depth",
                held,
                t.dlq_depth,
                h,
                f"DLQ {q.dlq.name}: {_n(held)} message(s) ≥ {_n(t.dlq_depth)}",
            )
        )
    if rules.loss_eta_min is not None:
        limit = rules.loss_eta_min * 60
        out.append(
            _below(
                "loss_eta",
                f.loss_eta_s,
                limit,
                h,
                f"messages start to expire in {humanise_age(f.loss_eta_s)}"
                f" (alert under {humanise_age(limit)})",
            )
        )
    if rules.drain_eta_min is not None:
        limit = rules.drain_eta_min * 60
        # Draining: its ETA. Growing with a real backlog: never drains (∞). Empty or steady: fine.
        value: float | None = None
        if f.trend in ("empty", "steady"):
            value = 0.0
        elif f.trend == "draining":
            value = f.drain_eta_s
        elif f.trend == "growing" and f.backlog is not None:
            value = math.inf if f.backlog >= rules.min_backlog else 0.0
        if value == math.inf:
            summary = f"growing at {f.growing_per_s or 0:.2f}/s, backlog {_n(f.backlog)}"
        else:
            summary = f"drains in {humanise_age(value)} (alert over {humanise_age(limit)})"
        out.append(_above("drain_eta", value, limit, h, summary))
    if rules.dlq_growing and q.dlq is not None:
        rate = f.dlq_inflow_per_s
        out.append(
            _flag("dlq_growing", f.dlq_growing, f"DLQ {q.dlq.name} growing at {rate or 0:.3f}/s")
        )
    if rules.stalled:
        out.append(_flag("stalled", f.stalled, f"consumer stalled, backlog {_n(f.backlog)}"))
    if rules.retries_to_dlq:
        rate = f.retry_per_s
        out.append(
            _flag(
                "retries",
                f.retries_to_dlq,
                f"retries heading for the DLQ: {rate or 0:.2f}/s received and not deleted",
            )
        )
    return [c for c in out if c is not None]
