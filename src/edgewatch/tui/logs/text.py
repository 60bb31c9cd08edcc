"""Plain text for log lines on screen: the one-line summary, the detail body, the `/` filter.

Kept free of Textual and of styles so that the rules are unit-testable: every string that comes
from a log line (message, fields, level, request ID, group and stream) passes through
:func:`edgewatch.display.escape.escape`, the one rule for outside text, and is later put into a
Rich ``Text`` as-is (never parsed as markup), which is what makes ``[bold red]``, an ANSI escape,
a bidi override or a line separator inside a line show as the characters it is made of.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from edgewatch import safe_json
from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape, escaped_lines
from edgewatch.logs.models import LEVEL_KEYS, REQUEST_ID_KEYS, TIMESTAMP_KEYS, LogLine
from edgewatch.logs.search import LogQuery

SUMMARY_LIMIT = 2_000  # characters kept for the one-line view (the detail panel has it all)
TAB = 4
LEVEL_WIDTH = 5
REQUEST_ID_WIDTH = 13  # a UUID's first two groups and an ellipsis; the full ID is in the panel
_SHOWN_ELSEWHERE = frozenset((*TIMESTAMP_KEYS, *LEVEL_KEYS, *REQUEST_ID_KEYS))
_MESSAGE_KEYS = ("message", "msg")
_LEVEL_SHORT = {"WARNING": "WARN", "CRITICAL": "CRIT", "FATAL": "FATAL", "NOTICE": "NOTE"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
REQUEST_ID_PREFIXES = ("id:", "request_id:", "rid:")
LAMBDA_GROUP_PREFIX = "/aws/lambda/"


def literal(text: str) -> str:
    """One screen line of outside text: control characters escaped, tabs expanded."""
    return escape(text, one_line=True).expandtabs(TAB)


def time_of_day(line: LogLine) -> str:
    """``08:00:01.123`` (UTC, like everything edgewatch prints)."""
    return line.iso_time[11:23]


def level_label(level: str | None) -> str:
    """The level column: known names shortened, anything else escaped then cut (a level field is
    outside text too: an ESC in it must not break the row)."""
    if level is None:
        return ""
    return literal(_LEVEL_SHORT.get(level, level))[:LEVEL_WIDTH]


def request_id_label(request_id: str | None) -> str:
    return fmt.truncate(request_id, REQUEST_ID_WIDTH) if request_id else ""


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return safe_json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except ValueError as exc:
        return f"<{exc}>"


def summary(line: LogLine) -> str:
    """What the list shows after the time, level and request ID columns.

    A JSON line becomes its ``message`` then ``key=value`` for the other non-null fields (those
    already in a column are left out); a Lambda runtime's text line loses the prefix its columns
    already show (level, time, request ID; the detail keeps the raw line); any other text line is
    shown as it is. Cut to ``SUMMARY_LIMIT``.
    """
    parsed = line.parsed
    if line.info.summary is not None:  # EMF metrics: compact, not the raw directive
        return literal(line.info.summary[:SUMMARY_LIMIT])
    if parsed is None:
        start = line.info.body_start or 0
        return literal(line.message[start:].rstrip("\r\n")[:SUMMARY_LIMIT])
    parts: list[str] = []
    skip = set(_SHOWN_ELSEWHERE)
    for key in _MESSAGE_KEYS:
        value = parsed.get(key)
        if isinstance(value, str):
            parts.append(value)
            skip.add(key)
            break
    size = sum(len(p) for p in parts)
    for key, value in parsed.items():
        if size > SUMMARY_LIMIT:
            break
        if key in skip or value is None:
            continue
        part = f"{key}={_value(value)}"
        parts.append(part)
        size += len(part) + 1
    return literal(" ".join(parts)[:SUMMARY_LIMIT])


def detail_body(line: LogLine) -> list[str]:
    """The full line for the side panel: JSON pretty-printed (keys in their order), else text.

    Escaped first, split on ``\\n`` after: NEL, U+2028 and U+2029 stay visible as escapes
    instead of vanishing into line breaks (``str.splitlines`` would split on them).
    """
    text = line.message.rstrip("\r\n")
    if line.parsed is not None:
        with contextlib.suppress(ValueError):
            text = safe_json.dumps(line.parsed, indent=2, ensure_ascii=False, default=str)
    return [part.expandtabs(TAB) for part in escaped_lines(text)]


def detail_fields(line: LogLine) -> list[tuple[str, str]]:
    """The envelope shown above the body: where and when the line was written."""
    return [
        ("time", line.iso_time),
        ("level", line.level or "—"),
        ("request", line.request_id or "—"),
        ("group" if line.source == "cloudwatch" else "file", line.log_group),
        ("stream", line.stream),
        ("event", line.event_id),
    ]


def sources_label(sources: tuple[str, ...] | list[str]) -> str:
    """The tailed groups and files, short: Lambda's ``/aws/lambda/`` prefix said once."""
    if len(sources) > 1 and all(s.startswith(LAMBDA_GROUP_PREFIX) for s in sources):
        names = ", ".join(s.removeprefix(LAMBDA_GROUP_PREFIX) for s in sources)
        return literal(f"{LAMBDA_GROUP_PREFIX}{{{names}}}")
    return literal(", ".join(sources))


def parse_filter(text: str) -> LogQuery | None:
    """What the operator typed after ``/``: ``None`` (clear), a request ID, or text to find.

    A UUID, or anything after ``id:``, is a request ID (exact match, like the CLI's
    ``--request-id``); anything else is a case-sensitive substring of the raw line.
    """
    value = text.strip()
    if not value:
        return None
    lowered = value.lower()
    for prefix in REQUEST_ID_PREFIXES:
        if lowered.startswith(prefix):
            request_id = value[len(prefix) :].strip()
            return LogQuery(request_id=request_id) if request_id else None
    if _UUID.fullmatch(value):
        return LogQuery(request_id=value)
    return LogQuery(text=value)


def describe_query(query: LogQuery) -> str:
    """The filter as the status line says it (the value escaped like any outside text)."""
    if query.request_id is not None:
        return f"request {literal(query.request_id)}"
    if query.message_id is not None:
        return f"message {literal(query.message_id)}"
    if query.any_ids:
        first = literal(query.any_ids[0])
        more = len(query.any_ids) - 1
        return f"message {first}" + (f" (+{more} IDs: its request, invocations)" if more else "")
    return f'text "{literal(query.text or "")}"'
