"""What to look for in the logs: a request ID, a piece of text, and from when.

Each query has two halves. The CloudWatch filter pattern narrows what the server sends (cost and
speed); the client-side :meth:`LogQuery.matches` decides what is shown (correctness). moto, for one,
ignores JSON patterns and returns every event, and the two halves keep the result right anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from edgewatch.logs.models import LogLine

# IDs made of these characters go into a filter pattern verbatim; anything else (quotes, braces)
# is matched client-side only rather than risk a malformed or widened pattern.
_PATTERN_SAFE = re.compile(r"[A-Za-z0-9._:/@+=\- ]+")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
MAX_PATTERN = 1024  # CloudWatch's filter pattern limit; beyond it, client-side only
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A search by request ID, message ID, any of several IDs, and/or text (case-sensitive).

    ``request_id`` matches the line's request (Lambda's invocation ID, or the worker's own
    ``request_id``) or the application's correlation ID; ``message_id`` a message the line names
    (``messageId`` keys, batch item failures, "messageId=…" in text); ``any_ids`` any of these
    for any of the IDs (the DLQ → logs jump). ``text`` is a substring of the raw message.
    CloudWatch receives the IDs as quoted terms, which match JSON and plain-text lines alike
    (a JSON pattern would never match a START or REPORT line); an empty query matches all.
    """

    request_id: str | None = None
    text: str | None = None
    message_id: str | None = None
    any_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.request_id is not None and not self.request_id.strip():
            raise ValueError("the request ID is empty")
        if self.message_id is not None and not self.message_id.strip():
            raise ValueError("the message ID is empty")
        if any(not i.strip() for i in self.any_ids):
            raise ValueError("an ID to search for is empty")
        if self.text is not None and not self.text:
            raise ValueError("the search text is empty")

    @property
    def empty(self) -> bool:
        return (
            self.request_id is None
            and self.text is None
            and self.message_id is None
            and not self.any_ids
        )

    def filter_pattern(self) -> str | None:
        """The server-side narrowing, or ``None`` to receive everything."""
        if self.any_ids:
            terms = [i for i in dict.fromkeys(self.any_ids) if _PATTERN_SAFE.fullmatch(i)]
            if len(terms) != len(set(self.any_ids)):
                return None  # an unsafe ID: narrow client-side only, never widen or break
            if len(terms) == 1:
                return f'"{terms[0]}"'
            pattern = " ".join(f'?"{t}"' for t in terms)
            return pattern if len(pattern) <= MAX_PATTERN else None
        for ident in (self.request_id, self.message_id):
            if ident is not None:
                return f'"{ident}"' if _PATTERN_SAFE.fullmatch(ident) else None
        text = self.text
        if text is not None and not {'"', "\\"} & set(text):
            return f'"{text}"'
        return None

    def matches(self, line: LogLine) -> bool:
        """The client-side check: what makes the result right whatever the server did."""
        if self.request_id is not None and not (
            line.request_id == self.request_id or line.info.correlation_id == self.request_id
        ):
            return False
        if self.message_id is not None and self.message_id not in line.info.message_ids:
            return False
        if self.any_ids and not any(line.names(i) for i in self.any_ids):
            return False
        return self.text is None or self.text in line.message


def parse_since(value: str, now: float) -> float:
    """``15m``, ``2h``, ``30s``, ``1d``, ``1w`` before ``now``, or an ISO-8601 time → epoch seconds.

    A time without a zone is UTC, like every time edgewatch prints. Raises ``ValueError`` with a
    message for the operator.
    """
    match = _DURATION.match(value)
    if match:
        return now - float(match.group(1)) * _UNIT_S[match.group(2).lower()]
    text = value.strip()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--since {value!r}: expected a duration (30s, 15m, 2h, 1d, 1w) "
            "or an ISO time (2026-11-23T04:00:00Z)"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()
