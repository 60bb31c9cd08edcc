"""The alert engine: turns each poll's checks into firing / resolved events, without flapping.

- **Hysteresis**: an alert fires on its line and resolves only past the clear line (rules.py).
- **De-duplication**: one alert per (queue, kind); while it stays active nothing new is raised.
- **Cooldown**: two notifications of the same alert are at least ``cooldown_s`` apart, whatever
  happened in between. A crossing inside the cooldown is recorded as ``suppressed`` and notified
  when the cooldown ends if still active; an alert still active after the cooldown is repeated.
- **History**: every event, bounded, newest last (the alert history screen reads it).

The engine owns no I/O and no clock of its own: the caller passes snapshots, forecasts and time.
:meth:`AlertEngine.export_state` / :meth:`AlertEngine.restore_state` carry the episodes and the
cooldowns from one process to the next (``watch --alerts --once`` from cron: alerts/state.py).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from edgewatch.alerts.rules import AlertKind, checks
from edgewatch.config import AlertSettings
from edgewatch.display.escape import escape
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import MetricsSnapshot

EventState = Literal["firing", "resolved", "suppressed"]
STATE_VERSION = 1
_KINDS = frozenset(get_args(AlertKind))


@dataclass(frozen=True, slots=True)
class AlertEvent:
    at: float
    state: EventState
    kind: AlertKind
    queue: str
    queue_key: str
    summary: str
    value: float | None = None
    limit: float | None = None
    since: float | None = None  # when this episode started
    repeat: bool = False  # a reminder: still active after the cooldown

    @property
    def key(self) -> tuple[str, AlertKind]:
        return (self.queue_key, self.kind)

    @property
    def text(self) -> str:
        """One line, Slack-compatible, free of control characters."""
        label = {"firing": "ALERT", "resolved": "resolved", "suppressed": "suppressed"}[self.state]
        again = " (still)" if self.repeat else ""
        return escape(f"edgewatch {label}{again}: {self.queue}: {self.summary}", one_line=True)

    def to_json(self) -> dict[str, Any]:
        def finite(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, 3)

        return {
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(),
            "state": self.state,
            "kind": self.kind,
            "queue": self.queue,
            "queue_url": self.queue_key,
            "summary": self.summary,
            "value": finite(self.value),
            "limit": finite(self.limit),
            "since": None
            if self.since is None
            else datetime.fromtimestamp(self.since, UTC).isoformat(),
            "repeat": self.repeat,
        }


@dataclass(slots=True)
class _Active:
    since: float
    summary: str
    queue: str
    value: float | None
    limit: float | None
    notified: bool  # this episode was notified (a resolve is then worth telling)


class AlertEngine:
    def __init__(self, settings: AlertSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.history: deque[AlertEvent] = deque(maxlen=settings.history)
        self._active: dict[tuple[str, AlertKind], _Active] = {}
        self._notified_at: dict[tuple[str, AlertKind], float] = {}

    @property
    def active(self) -> list[AlertEvent]:
        """The alerts firing now, oldest first."""
        now = self.clock()
        return [
            AlertEvent(now, "firing", kind, a.queue, key, a.summary, a.value, a.limit, a.since)
            for (key, kind), a in sorted(self._active.items(), key=lambda kv: kv[1].since)
        ]

    def export_state(self) -> dict[str, Any]:
        """The episodes (hysteresis: what is firing and since when) and the cooldowns, as JSON."""

        def finite(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else v

        return {
            "version": STATE_VERSION,
            "active": [
                {
                    "queue_key": qkey,
                    "kind": kind,
                    "queue": a.queue,
                    "since": a.since,
                    "summary": a.summary,
                    "value": finite(a.value),
                    "limit": finite(a.limit),
                    "notified": a.notified,
                }
                for (qkey, kind), a in self._active.items()
            ],
            "notified_at": [
                {"queue_key": qkey, "kind": kind, "at": at}
                for (qkey, kind), at in self._notified_at.items()
            ],
        }

    def restore_state(self, doc: Any) -> None:
        """Take over what :meth:`export_state` wrote; ``ValueError``, unchanged, if malformed."""
        if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
            raise ValueError(f"not an edgewatch alert state (version {STATE_VERSION})")
        active: dict[tuple[str, AlertKind], _Active] = {}
        notified: dict[tuple[str, AlertKind], float] = {}
        try:
            for item in doc["active"]:
                key = _state_key(item)
                active[key] = _Active(
                    since=_number(item["since"]),
                    summary=str(item["summary"]),
                    queue=str(item["queue"]),
                    value=_optional_number(item.get("value")),
                    limit=_optional_number(item.get("limit")),
                    notified=bool(item["notified"]),
                )
            for item in doc["notified_at"]:
                notified[_state_key(item)] = _number(item["at"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed entry ({type(exc).__name__}: {exc})") from None
        self._active, self._notified_at = active, notified

    def _cool(self, key: tuple[str, AlertKind], now: float) -> bool:
        last = self._notified_at.get(key)
        return last is None or now - last >= self.settings.cooldown_s

    def evaluate(
        self, snapshot: MetricsSnapshot, forecasts: Mapping[str, Forecast]
    ) -> list[AlertEvent]:
        """Events of this poll (``suppressed`` ones too: they are history, not notifications)."""
        now = self.clock()
        events: list[AlertEvent] = []
        seen: set[tuple[str, AlertKind]] = set()
        for q in snapshot.queues:
            qkey = q.url or q.name
            for c in checks(q, forecasts.get(qkey), self.settings):
                key = (qkey, c.kind)
                seen.add(key)
                active = self._active.get(key)
                if active is None:
                    if not c.fire:
                        continue
                    active = self._active[key] = _Active(
                        now, c.summary, q.name, c.value, c.limit, notified=False
                    )
                    state: EventState = "firing" if self._cool(key, now) else "suppressed"
                    events.append(self._event(now, state, key, active))
                elif c.clear:
                    del self._active[key]
                    if active.notified and self.settings.notify_resolved:
                        active.summary, active.value = c.summary, c.value
                        events.append(self._event(now, "resolved", key, active))
                else:
                    if c.value is not None:
                        active.summary, active.value = c.summary, c.value
                    if self._cool(key, now):  # notify a suppressed one, or remind
                        events.append(
                            self._event(now, "firing", key, active, repeat=active.notified)
                        )
        for gone in set(self._active) - seen:  # the queue is no longer watched
            del self._active[gone]
        cooldown = self.settings.cooldown_s
        for key in [k for k, t in self._notified_at.items() if now - t >= cooldown]:
            del self._notified_at[key]  # bounded: only what can still hold back a notification
        for ev in events:
            self.history.append(ev)
        return events

    def _event(
        self,
        now: float,
        state: EventState,
        key: tuple[str, AlertKind],
        a: _Active,
        *,
        repeat: bool = False,
    ) -> AlertEvent:
        if state == "firing":
            a.notified = True
            self._notified_at[key] = now
        return AlertEvent(
            now, state, key[1], a.queue, key[0], a.summary, a.value, a.limit, a.since, repeat
        )


def _state_key(item: Any) -> tuple[str, AlertKind]:
    qkey, kind = item["queue_key"], item["kind"]
    if not isinstance(qkey, str) or kind not in _KINDS:
        raise ValueError(f"unknown alert {kind!r} of {qkey!r}")
    return qkey, kind


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a time: {value!r}")
    return float(value)


def _optional_number(value: Any) -> float | None:
    return None if value is None else _number(value)
