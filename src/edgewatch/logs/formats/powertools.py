"""Powertools for AWS Lambda (Python and TypeScript) structured records.

Keys: ``level``, ``location``, ``message``, ``timestamp``, ``service``, ``xray_trace_id``,
``function_request_id``, ``function_name``, ``cold_start``, ``correlation_id`` and, on errors,
``exception_name``/``exception`` (Python) or an ``error`` object (TypeScript). Python's default
timestamp is local time with an offset, ``2021-05-03 10:20:19,650+0200``, read as such.
"""

from __future__ import annotations

from typing import Any

from edgewatch.logs.formats.info import LineInfo
from edgewatch.logs.formats.values import epoch_ms, ident, message_ids_in, text

Parsed = tuple[str | None, str | None, LineInfo]


def matches(data: dict[str, Any]) -> bool:
    return "function_request_id" in data or (
        "service" in data and "level" in data and ("location" in data or "cold_start" in data)
    )


def parse(data: dict[str, Any]) -> Parsed:
    level = ident(data.get("level"))
    error_type = ident(data.get("exception_name"))
    error_message = None
    exception = text(data.get("exception"))
    if exception:  # the traceback's last line is "Type: message"
        last = exception.strip().rsplit("\n", 1)[-1]
        error_message = last.split(": ", 1)[1] if ": " in last else last
    error = data.get("error")
    if isinstance(error, dict):
        error_type = error_type or ident(error.get("name"))
        error_message = error_message or text(error.get("message"))
    info = LineInfo(
        "powertools",
        message_ids=message_ids_in(data),
        record_time_ms=epoch_ms(data.get("timestamp")),
        error_type=error_type,
        error_message=error_message,
        correlation_id=ident(data.get("correlation_id")),
    )
    return ident(data.get("function_request_id")), level.upper() if level else None, info
