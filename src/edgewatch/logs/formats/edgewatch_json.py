"""Any other JSON object: the common keys (``request_id``, ``level``, ``latency_ms``…).

This is also how edgewatch reads workers that log its own convention: ``request_id``,
``message_id``, ``latency_ms``, ``queue_lag_ms``, ``emitted_at``/``processed_at``, ``error``.
Other shapes are mapped with ``[logs.fields]`` (see :mod:`edgewatch.logs.formats.mapping`).
"""

from __future__ import annotations

from typing import Any

from edgewatch.logs.formats.info import ERROR_LEVELS, LineInfo
from edgewatch.logs.formats.values import (
    epoch_ms,
    error_in_text,
    ident,
    message_ids_in,
    number,
    text,
)

Parsed = tuple[str | None, str | None, LineInfo]
REQUEST_ID_KEYS = ("request_id", "requestId")
LEVEL_KEYS = ("level", "levelname", "severity", "log_level")
TIMESTAMP_KEYS = ("timestamp", "@timestamp", "time", "ts")


def first(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if value := ident(data.get(key)):
            return value
    return None


def parse(data: dict[str, Any]) -> Parsed:
    level = first(data, LEVEL_KEYS)
    level = level.upper() if level else None
    lag = number(data.get("queue_lag_ms"))
    emitted = epoch_ms(data.get("emitted_at"))
    if lag is None and emitted is not None:
        processed = epoch_ms(data.get("processed_at"))
        if processed is not None:
            lag = processed - emitted
    record_time = None
    for key in TIMESTAMP_KEYS:
        if (record_time := epoch_ms(data.get(key))) is not None:
            break
    error_type = ident(data.get("error_type")) or ident(data.get("errorType"))
    error_message = text(data.get("error")) or text(data.get("errorMessage"))
    if error_type is None and level in ERROR_LEVELS and error_message:
        error_type = error_in_text(error_message)[0]
    info = LineInfo(
        "edgewatch" if "latency_ms" in data or "queue_lag_ms" in data else "json",
        message_ids=message_ids_in(data),
        record_time_ms=record_time,
        error_type=error_type,
        error_message=error_message,
        latency_ms=number(data.get("latency_ms")),
        queue_lag_ms=lag,
        emitted_at_ms=emitted,
    )
    return first(data, REQUEST_ID_KEYS), level, info
