"""What a test send puts on the queue: template events, or the operator's own JSON.

Templates are the embedded stack's events (:class:`~edgewatch.simulator.events.EventFactory`:
realistic path, status, country, latency) of the chosen type, each with a fresh ``request_id``
and ``emitted_at`` stamped when it is emitted, so that the consumer logs it and its queue lag is
real. ``poison`` adds ``"poison": true``, which the consumer rejects: after ``maxReceiveCount``
receives the event lands in the DLQ. A seed makes the request ids repeatable (tests, snapshots).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from edgewatch.send.bodies import BodyError, JsonBody
from edgewatch.simulator.events import EventFactory

Template = Literal["query", "response"]
TEMPLATES: tuple[Template, ...] = ("query", "response")
DEFAULT_GROUP = "edgewatch-send"  # FIFO group of events that name no session


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message, ready to emit: its exact body and how to follow it."""

    body: str
    request_id: str | None
    group_id: str  # used on FIFO queues only
    line: int | None = None  # where it came from in a JSON-lines file


class EventSource(Protocol):
    """Makes the events of one send, one at a time, at the moment each is emitted."""

    def next(self, now_ms: int) -> Outgoing:
        """The next event, ``emitted_at`` = ``now_ms`` (epoch milliseconds)."""
        ...


class TemplateEvents:
    """Realistic events of one type (``query`` or ``response``), fresh ids, stamped at emit."""

    def __init__(
        self,
        template: Template,
        *,
        seed: int | None = None,
        poison: bool = False,
        group_id: str | None = None,
    ) -> None:
        if template not in TEMPLATES:
            raise ValueError(f"unknown template {template!r} (choose from {', '.join(TEMPLATES)})")
        if seed is None:
            seed = random.SystemRandom().randrange(2**63)
        self.template = template
        self.poison = poison
        self._group_id = group_id
        self._factory = EventFactory(seed, f"send:{template}", poison_rate=0.0)

    def next(self, now_ms: int) -> Outgoing:
        drawn = self._factory.next(now_ms)
        event = json.loads(drawn.body)
        event["type"] = self.template
        if self.poison:
            event["poison"] = True
        body = json.dumps(event, separators=(",", ":"))
        return Outgoing(body, drawn.request_id, self._group_id or drawn.session_id)


class CustomEvents:
    """The operator's JSON, cycled through (``--body`` with ``--count``, or a file's lines).

    JSON objects get a fresh ``request_id`` and ``emitted_at`` unless they have their own
    (``poison`` too when asked); other JSON values are sent exactly as written.
    """

    def __init__(
        self,
        bodies: Sequence[JsonBody],
        *,
        seed: int | None = None,
        poison: bool = False,
        group_id: str | None = None,
    ) -> None:
        if not bodies:
            raise BodyError("no events to send")
        if poison:
            for body in bodies:
                if not body.is_object:
                    raise BodyError(
                        'poison needs a JSON object body (it adds "poison": true)', body.line
                    )
                if "poison" in body.value:
                    raise BodyError(
                        'the body has its own "poison" field; leave out poison', body.line
                    )
        self.bodies = tuple(bodies)
        self.poison = poison
        self._group_id = group_id
        self._rng = random.Random(seed)
        self._index = 0

    def next(self, now_ms: int) -> Outgoing:
        body = self.bodies[self._index % len(self.bodies)]
        self._index += 1
        if not body.is_object:
            return Outgoing(body.text, None, self._group_id or DEFAULT_GROUP, body.line)
        fresh = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        fields: dict[str, object] = {"request_id": fresh, "emitted_at": now_ms}
        if self.poison:
            fields["poison"] = True
        request_id: str | None = fresh
        if "request_id" in body.value:  # theirs wins; a non-string one cannot be followed
            own = body.value["request_id"]
            request_id = own if isinstance(own, str) else None
        session = body.value.get("session_id")
        group = self._group_id or (session if isinstance(session, str) else DEFAULT_GROUP)
        return Outgoing(body.with_fields(fields), request_id, group, body.line)
