"""How the console orders and narrows many queues (no Textual): trouble score, sort keys, the
``/`` filter, grouping by account and region. Pure functions, so the keys are cheap to test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus

SortKey = Literal["trouble", "name", "depth", "age", "dlq"]
SORT_KEYS: tuple[SortKey, ...] = ("trouble", "name", "depth", "age", "dlq")
HOUR = 3600.0


def trouble_score(q: QueueStatus, f: Forecast | None) -> float:
    """Higher is worse: thresholds first, then what the forecasts say is coming.

    crit 1000, warn 100 (an unreadable queue counts as crit); loss ETA under an hour up to
    +500 (sooner is worse); DLQ growing, consumer stalled, retries heading for the DLQ +200
    each; growing +100; a drain longer than an hour +50.
    """
    score = {"crit": 1000.0, "warn": 100.0, "ok": 0.0}[q.level]
    if f is None:
        return score
    if f.loss_eta_s is not None and f.loss_eta_s < HOUR:
        score += 500.0 * (1.0 - f.loss_eta_s / HOUR)
    score += 200.0 * sum(bool(x) for x in (f.dlq_growing, f.stalled, f.retries_to_dlq))
    if f.trend == "growing":
        score += 100.0
    elif f.drain_eta_s is not None and f.drain_eta_s > HOUR:
        score += 50.0
    return score


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
