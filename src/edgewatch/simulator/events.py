"""Seeded analytics events, shaped like those the edge workers emit.

Everything but ``emitted_at`` is a function of the seed, the stream name and the event's index:
each stream has its own RNG, so the timing of the pipeline (how many events each tick, bursts,
the interleaving of the standard and FIFO streams) never changes what an event contains.

Event schema (JSON, one object per SQS message)::

    {"v": 1, "request_id": "<uuid4>", "session_id": "s-<12 hex>", "type": "query" | "response",
     "path": "/api/search", "method": "GET", "status": 200, "country": "DE",
     "latency_ms": 12.3, "emitted_at": 1767225600123}

``emitted_at`` is epoch **milliseconds** (an int), the edge's clock when the event was emitted.
``latency_ms`` is the edge's response time. Poison events carry ``"poison": true``, or are
malformed: a JSON document cut short, which no consumer can parse.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from dataclasses import dataclass

SCHEMA_VERSION = 1
COUNTRIES = ("US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "AU", "NL", "SE", "ZA")
COUNTRY_WEIGHTS = (30, 12, 10, 8, 9, 6, 7, 5, 4, 4, 3, 2)
# (path, method, weight). A path with Rich-markup-like text checks that bodies render as text.
ROUTES = (
    ("/", "GET", 20),
    ("/api/search", "GET", 18),
    ("/api/products/{id}", "GET", 22),
    ("/api/cart", "POST", 8),
    ("/api/checkout", "POST", 3),
    ("/static/app.js", "GET", 12),
    ("/healthz", "GET", 4),
    ("/search?q=[b]sale[/b]", "GET", 1),
)
STATUSES = (200, 201, 304, 404, 429, 500)
STATUS_WEIGHTS = (80, 6, 6, 5, 1, 2)
MALFORMED_SHARE = 0.25  # of poison events: a cut-off body rather than a flagged one
SESSION_REUSE = 0.85  # chance that an event belongs to an already active session
ACTIVE_SESSIONS = 24


@dataclass(frozen=True, slots=True)
class EdgeEvent:
    """One analytics event and the SQS message body that carries it."""

    index: int
    request_id: str
    session_id: str
    body: str
    poison: bool = False
    malformed: bool = False
    poison_suppressed: bool = False  # drawn as poison, sent clean (``allow_poison=False``)


class EventFactory:
    """An endless, seeded sequence of events for one stream (e.g. ``"standard"``, ``"fifo"``).

    ``next(allow_poison=False)`` consumes the RNG exactly like ``next()``: suppressing poison
    (while a DLQ is full) changes only that event, never the rest of the sequence.
    """

    def __init__(
        self,
        seed: int,
        stream: str,
        *,
        poison_rate: float = 0.02,
        forced_poison: tuple[int, ...] = (),
    ) -> None:
        self.seed = seed
        self.stream = stream
        self.poison_rate = poison_rate
        self.forced_poison = frozenset(forced_poison) if poison_rate > 0 else frozenset()
        self._rng = random.Random(f"{seed}:{stream}")
        self._sessions: list[tuple[str, str]] = []  # (session_id, country)
        self._index = 0

    def _session(self) -> tuple[str, str]:
        rng = self._rng
        reuse, pick = rng.random(), rng.random()
        new_id = f"s-{rng.getrandbits(48):012x}"
        new_country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        if self._sessions and reuse < SESSION_REUSE:
            return self._sessions[int(pick * len(self._sessions))]
        session = (new_id, new_country)
        self._sessions.append(session)
        if len(self._sessions) > ACTIVE_SESSIONS:
            self._sessions.pop(int(pick * (len(self._sessions) - 1)))
        return session

    def next(self, emitted_at_ms: int, *, allow_poison: bool = True) -> EdgeEvent:
        rng = self._rng
        index = self._index
        self._index += 1
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        session_id, country = self._session()
        path, method, _ = rng.choices(ROUTES, [r[2] for r in ROUTES])[0]
        path = path.replace("{id}", str(rng.randrange(1, 5000)))
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        if method == "GET" and status == 201:
            status = 200
        latency = round(rng.lognormvariate(math.log(12.0), 0.6), 1)
        kind = "query" if rng.random() < 0.6 else "response"
        poison_draw, malformed_draw, cut_draw = rng.random(), rng.random(), rng.random()

        drawn = index in self.forced_poison or poison_draw < self.poison_rate
        poison = drawn and allow_poison
        malformed = poison and malformed_draw < MALFORMED_SHARE
        event: dict[str, object] = {
            "v": SCHEMA_VERSION,
            "request_id": request_id,
            "session_id": session_id,
            "type": kind,
            "path": path,
            "method": method,
            "status": status,
            "country": country,
            "latency_ms": latency,
            "emitted_at": emitted_at_ms,
        }
        if poison and not malformed:
            event["poison"] = True
        body = json.dumps(event, separators=(",", ":"))
        if malformed:
            body = body[: 20 + int(cut_draw * (len(body) - 40))]
        return EdgeEvent(
            index, request_id, session_id, body, poison, malformed, drawn and not poison
        )
