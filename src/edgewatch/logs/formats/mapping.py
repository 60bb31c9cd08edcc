"""``[logs.fields]``: where a worker's JSON keeps the fields edgewatch needs, when it is none
of the formats edgewatch knows. Each value is a key path, dots for nesting (``ctx.req_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

from edgewatch.logs.formats.info import LineInfo
from edgewatch.logs.formats.values import dig, epoch_ms, ident, number

PATH = re.compile(r"^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$")
# The keys ``[logs.fields]`` accepts, with what each one means (also for config check).
FIELD_KEYS = {
    "request_id": "the request (or invocation) ID",
    "message_id": "the SQS message ID",
    "level": "the level (INFO, ERROR…)",
    "latency_ms": "the worker's processing time, milliseconds",
    "queue_lag_ms": "the time the message waited, milliseconds",
    "emitted_at": "when the event was emitted or sent (epoch s/ms or ISO; SentTimestamp)",
}


def split_path(value: str) -> tuple[str, ...]:
    """A validated key path; ``ValueError`` phrased for ``config check``."""
    if not PATH.match(value):
        raise ValueError(
            f"{value!r} is not a key path: letters, digits, _ @ $ -, dots between keys"
        )
    return tuple(value.split("."))


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Key paths per field; ``None``: the format's own rules apply."""

    request_id: tuple[str, ...] | None = None
    message_id: tuple[str, ...] | None = None
    level: tuple[str, ...] | None = None
    latency_ms: tuple[str, ...] | None = None
    queue_lag_ms: tuple[str, ...] | None = None
    emitted_at: tuple[str, ...] | None = None

    @classmethod
    def from_strings(cls, values: dict[str, str | None]) -> FieldMap:
        return cls(**{k: split_path(v) for k, v in values.items() if v})

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def apply(
        self, data: dict[str, Any], request_id: str | None, level: str | None, info: LineInfo
    ) -> tuple[str | None, str | None, LineInfo]:
        """The mapped values override what the format found (where the record has them)."""
        changes: dict[str, Any] = {}
        if self.request_id and (value := ident(dig(data, self.request_id))):
            request_id = value
        if self.level and (value := ident(dig(data, self.level))):
            level = value.upper()
        if self.message_id:
            value = dig(data, self.message_id)
            ids = [ident(v) for v in value[:100]] if isinstance(value, list) else [ident(value)]
            if found := tuple(i for i in ids if i):
                changes["message_ids"] = tuple(dict.fromkeys((*found, *info.message_ids)))
        if self.latency_ms and (ms := number(dig(data, self.latency_ms))) is not None:
            changes["latency_ms"] = ms
        if self.queue_lag_ms and (ms := number(dig(data, self.queue_lag_ms))) is not None:
            changes["queue_lag_ms"] = ms
        if self.emitted_at and (ms := epoch_ms(dig(data, self.emitted_at))) is not None:
            changes["emitted_at_ms"] = ms
        if changes:
            if info.format in ("json", "text"):
                changes["format"] = "mapped"
            info = replace(info, **changes)
        return request_id, level, info


NO_MAPPING = FieldMap()
