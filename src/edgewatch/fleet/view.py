"""How the console orders and narrows many queues (no Textual): trouble score, sort keys, the
``/`` filter, grouping by account and region. Pure functions, so the keys are cheap to test."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from edgewatch.config import Level
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus

SortKey = Literal["trouble", "name", "depth", "age", "dlq"]
SORT_KEYS: tuple[SortKey, ...] = ("trouble", "name", "depth", "age", "dlq")
HOUR = 3600.0


Trouble = Literal["expiring", "stalled", "dlq", "growing", "crit", "warn", "ok"]
# Worst first: messages about to be lost, nobody consuming, poison piling up, a backlog
# building, then what only a threshold says. Each tier is 1,000 points; how bad a queue is
# within its tier (0-999) orders queues of the same tier.
TIERS: dict[Trouble, int] = {
    "expiring": 6,
    "stalled": 5,
    "dlq": 4,
    "growing": 3,
    "crit": 2,
    "warn": 1,
    "ok": 0,
}


def _log_share(x: float | None, decades: float) -> float:
    """0 for 0 (or unknown), 1 at ``10**decades``: sizes that span orders of magnitude."""
    if x is None or x <= 0:
        return 0.0
    return min(1.0, math.log10(1.0 + x) / decades)


def trouble(q: QueueStatus, f: Forecast | None) -> tuple[Trouble, float]:
    """The queue's worst trouble and how bad it is within that tier (0 to 1).

    - ``expiring``: messages start to expire within the hour (sooner is worse);
    - ``stalled``: a backlog and nothing consumed (more and older is worse; not for a DLQ,
      which nobody is meant to consume);
    - ``dlq``: its DLQ is growing (faster and deeper is worse; the queue itself may be empty);
    - ``growing``: the backlog grows, or retries head for the DLQ (faster is worse);
    - ``crit`` / ``warn``: a threshold only (an unreadable queue is ``crit``); deeper is worse.
    """
    backlog = q.visible
    if f is not None and f.backlog is not None:
        backlog = f.backlog
    if f is not None:
        if f.loss_eta_s is not None and f.loss_eta_s < HOUR:
            return "expiring", 1.0 - f.loss_eta_s / HOUR
        if f.stalled and backlog and not q.is_dlq:  # nobody is meant to consume a DLQ
            age = f.oldest_age_s if f.oldest_age_s is not None else q.oldest_age_s
            return "stalled", 0.5 * _log_share(backlog, 6) + 0.5 * min(1.0, (age or 0) / HOUR)
        if f.dlq_growing:
            inflow = (f.dlq_inflow_per_s or 0.0) * 60  # a minute
            return "dlq", 0.7 * _log_share(inflow, 4) + 0.3 * _log_share(f.dlq_backlog, 6)
        if f.trend == "growing" or f.retries_to_dlq:
            rate = max(f.growing_per_s or 0.0, f.retry_per_s or 0.0) * 60
            return "growing", 0.7 * _log_share(rate, 4) + 0.3 * _log_share(backlog, 6)
    level = q.level
    if level == "ok":
        return "ok", 0.0
    return level, 1.0 if q.error else _log_share(backlog, 7)


def trouble_score(q: QueueStatus, f: Forecast | None) -> float:
    """Higher is worse: the tier of :func:`trouble` times 1,000, plus how bad within it."""
    tier, badness = trouble(q, f)
    return TIERS[tier] * 1000.0 + round(999.0 * badness, 3)


def trouble_level(q: QueueStatus, f: Forecast | None) -> Level:
    """The State a fleet row shows: its threshold level, raised by what the forecasts say
    (messages expiring or a stalled consumer: crit; a growing DLQ or backlog: warn)."""
    tier, _ = trouble(q, f)
    level = q.level
    raised: Level = "ok"
    if tier in ("expiring", "stalled"):
        raised = "crit"
    elif tier in ("dlq", "growing"):
        raised = "warn"
    order = ("ok", "warn", "crit")
    return level if order.index(level) >= order.index(raised) else raised


@dataclass(frozen=True, slots=True)
class Filter:
    """``/`` text: words all match; ``region:``, ``account:``, ``tag:key`` or ``tag:key=value``
    match those fields, anything else matches the queue name (case-insensitive)."""

    text: str = ""

    def matches(self, q: QueueStatus) -> bool:
        for word in self.text.lower().split():
            field, sep, value = word.partition(":")
            if sep and field == "region":
                if value not in (q.region or "").lower():
                    return False
            elif sep and field == "account":
                if value not in (q.account or "").lower():
                    return False
            elif sep and field == "tag":
                key, has_value, wanted = value.partition("=")
                tags = {k.lower(): v.lower() for k, v in q.tags.items()}
                if key not in tags or (has_value and wanted not in tags[key]):
                    return False
            elif word not in q.name.lower():
                return False
        return True


def arrange(
    queues: Sequence[QueueStatus],
    forecasts: Mapping[str, Forecast],
    *,
    sort: SortKey = "trouble",
    text: str = "",
    group: bool = False,
) -> list[QueueStatus]:
    """The rows to show, in order. Unknown values sort last; ties keep name order."""
    flt = Filter(text)
    rows = [q for q in queues if flt.matches(q)]

    def key(q: QueueStatus) -> tuple[object, ...]:
        f = forecasts.get(q.url or q.name)
        if sort == "trouble":
            primary: float = -trouble_score(q, f)
        elif sort == "depth":
            primary = -(q.visible if q.visible is not None else -1)
        elif sort == "age":
            primary = -(q.oldest_age_s if q.oldest_age_s is not None else -1)
        elif sort == "dlq":
            dlq = q.dlq.visible if q.dlq is not None and q.dlq.visible is not None else -1
            primary = -dlq
        else:
            primary = 0.0
        place = (q.account or "", q.region or "") if group else ()
        return (*place, primary, q.name, q.region or "")

    return sorted(rows, key=key)
