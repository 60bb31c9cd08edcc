"""What to look for in the logs: a request ID, a piece of text, and from when.

Each query has two halves. The CloudWatch filter pattern narrows what the server sends (cost and
speed); the client-side :meth:`LogQuery.matches` decides what is shown (correctness). moto, for one,
ignores JSON patterns and returns every event, and the two halves keep the result right anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from edgewatch.logs.models import REQUEST_ID_KEYS, LogLine

# IDs made of these characters go into a filter pattern verbatim; anything else (quotes, braces)
# is matched client-side only rather than risk a malformed or widened pattern.
_PATTERN_SAFE = re.compile(r"[A-Za-z0-9._:/@+=\- ]+")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A request-ID search and/or a plain-text search (both case-sensitive, as CloudWatch is).

    ``text`` is a substring of the raw message. CloudWatch receives it as a quoted phrase; an
    empty query matches everything.
    """

    request_id: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.request_id is not None and not self.request_id.strip():
            raise ValueError("the request ID is empty")
        if self.text is not None and not self.text:
            raise ValueError("the search text is empty")

    @property
    def empty(self) -> bool:
        return self.request_id is None and self.text is None

    def filter_pattern(self) -> str | None:
        """The server-side narrowing, or ``None`` to receive everything."""
        if self.request_id is not None and _PATTERN_SAFE.fullmatch(self.request_id):
            terms = " || ".join(f'($.{key} = "{self.request_id}")' for key in REQUEST_ID_KEYS)
            return "{ " + terms + " }"
        text = self.text
        if self.request_id is None and text is not None and not {'"', "\\"} & set(text):
            return f'"{text}"'
        return None

    def matches(self, line: LogLine) -> bool:
        """The client-side check: what makes the result right whatever the server did."""
        if self.request_id is not None and line.request_id != self.request_id:
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
