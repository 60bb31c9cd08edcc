"""Typed log lines shared by every log source, the latency engine, the CLI and the TUI.

A worker's line is a JSON object when it is one (``parsed``); anything else is kept as text. The
few fields the console needs everywhere (request ID, level, timestamps) are pulled out once, at
parse time, so that filters and charts never re-parse a message.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from types import EllipsisType
from typing import Any, Literal

from edgewatch.logs.formats import NO_MAPPING, FieldMap, LineInfo, parse_json, parse_line
from edgewatch.logs.formats.info import PLAIN
from edgewatch.logs.formats.values import epoch_ms

SourceKind = Literal["cloudwatch", "file"]
# "unfiltered": the endpoint ignored a filter pattern; the client-side check keeps the answer
# right, and the operator hears why more is read than shown.
NoticeKind = Literal[
    "ok", "throttled", "retrying", "waiting", "truncated", "rotated", "error", "unfiltered"
]

REQUEST_ID_KEYS = ("request_id", "requestId")
LEVEL_KEYS = ("level", "levelname", "severity", "log_level")
TIMESTAMP_KEYS = ("timestamp", "@timestamp", "time", "ts")
DEFAULT_BUFFER_LINES = 10_000
# Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log event. ``timestamp`` is epoch **milliseconds**, CloudWatch's own unit.

    For a file, ``log_group`` is the file's path and ``stream`` its name; ``event_id`` is unique
    per source (CloudWatch's ``eventId``, or the line's position in the file).
    """

    event_id: str
    timestamp: int
    log_group: str
    stream: str
    message: str
    parsed: dict[str, Any] | None = None
    request_id: str | None = None
    level: str | None = None
    ingestion_time: int | None = None
    source: SourceKind = "cloudwatch"
    info: LineInfo = PLAIN

    @property
    def message_ids(self) -> tuple[str, ...]:
        return self.info.message_ids

    def names(self, ident: str) -> bool:
        """Whether the line belongs to ``ident``: its request, a message it names, or the
        application's own correlation ID."""
        return (
            self.request_id == ident
            or ident in self.info.message_ids
            or self.info.correlation_id == ident
        )

    @property
    def display_message(self) -> str:
        """What a view shows: the raw message, or a compact form (EMF metrics)."""
        return self.info.summary or self.message

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    @property
    def iso_time(self) -> str:
        """``2026-11-23T04:19:00.123Z``: sortable, unambiguous, what the CLI prints."""
        return self.time.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.timestamp % 1000:03d}Z"

    def get(self, key: str) -> Any:
        """A top-level field of the JSON message, or ``None`` (text lines have no fields)."""
        return None if self.parsed is None else self.parsed.get(key)

    def to_json(self) -> dict[str, Any]:
        """The documented ``edgewatch tail --json`` object."""
        return {
            "timestamp": self.iso_time,
            "timestamp_ms": self.timestamp,
            "log_group": self.log_group,
            "log_stream": self.stream,
            "event_id": self.event_id,
            "request_id": self.request_id,
            "level": self.level,
            "message": self.message,
            "parsed": self.parsed,
            **self.info.to_json(),
        }


@dataclass(frozen=True, slots=True)
class SourceNotice:
    """A change in a source's health, for a status line (``ok`` ends a throttled episode)."""

    source: str  # the log group or file path
    kind: NoticeKind
    message: str
    retry_in_s: float | None = None


@dataclass(frozen=True, slots=True)
class LogBatch:
    """What a tail delivers: lines in arrival order, and any notices raised meanwhile."""

    lines: tuple[LogLine, ...] = ()
    notices: tuple[SourceNotice, ...] = ()


Emit = Callable[[LogBatch], Awaitable[None]]  # how a source delivers; may block (back-pressure)
Sleep = Callable[[float], Awaitable[None]]


class LogSourceError(Exception):
    """A source cannot go on (no such group or file, access denied); phrased for the operator."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


def parse_message(message: str) -> dict[str, Any] | None:
    """The message as a JSON object, else ``None`` (see :func:`formats.parse_json`)."""
    return parse_json(message)


def _first_str(parsed: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = parsed.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def field_timestamp_ms(parsed: dict[str, Any]) -> float | None:
    """The event time a JSON line carries itself (``timestamp``, ``@timestamp``, ``time``...)."""
    for key in TIMESTAMP_KEYS:
        ms = epoch_ms(parsed.get(key))
        if ms is not None:
            return ms
    return None


def make_line(
    *,
    event_id: str,
    timestamp: int,
    log_group: str,
    stream: str,
    message: str,
    ingestion_time: int | None = None,
    source: SourceKind = "cloudwatch",
    parsed: dict[str, Any] | EllipsisType | None = ...,
    fields: FieldMap = NO_MAPPING,
) -> LogLine:
    """Build the line with what its format says (``parsed``: already parsed, else parse)."""
    if parsed is ...:
        parsed = parse_message(message)
    request_id, level, info = parse_line(message, parsed, fields)
    return LogLine(
        event_id=event_id,
        timestamp=timestamp,
        log_group=log_group,
        stream=stream,
        message=message,
        parsed=parsed,
        request_id=request_id,
        level=level,
        ingestion_time=ingestion_time,
        source=source,
        info=info,
    )


@dataclass
class LineBuffer:
    """The newest ``maxlen`` lines for a view; older lines fall off (bounded memory).

    ``total`` counts every line ever appended, so a view that remembers it can tell how many
    lines arrived since (the "N new lines" indicator) even after some were evicted.
    """

    maxlen: int = DEFAULT_BUFFER_LINES
    total: int = field(default=0, init=False)
    _lines: deque[LogLine] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.maxlen < 1:
            raise ValueError("maxlen must be at least 1")
        self._lines = deque(maxlen=self.maxlen)

    def extend(self, lines: Iterable[LogLine]) -> int:
        """Append lines; return how many were evicted to make room."""
        before = len(self._lines)
        added = 0
        for line in lines:
            self._lines.append(line)
            added += 1
        self.total += added
        return max(0, before + added - self.maxlen)

    def clear(self) -> None:
        self._lines.clear()

    def since(self, total: int) -> list[LogLine]:
        """Lines appended after the buffer's ``total`` was ``total`` (those still held)."""
        new = min(max(0, self.total - total), len(self._lines))
        return list(islice(self._lines, len(self._lines) - new, None))

    def find(self, request_id: str) -> list[LogLine]:
        return [line for line in self._lines if line.request_id == request_id]

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self._lines)

    def __getitem__(self, index: int) -> LogLine:
        return self._lines[index]
