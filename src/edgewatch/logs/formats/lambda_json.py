"""Lambda's JSON log format (``LoggingConfig.LogFormat=JSON``).

Application records: ``timestamp``, ``level``, ``message``, ``requestId`` and optionally
``logger``, ``errorType``, ``errorMessage``, ``stackTrace`` (an uncaught error puts them inside
``message``). Platform records: ``{"time", "type": "platform.…", "record": {…}}``; in
``platform.report`` the invocation's ``record.metrics.durationMs`` (charted; not
``billedDurationMs``), ``initDurationMs`` (cold starts only) and ``record.status``.
"""

from __future__ import annotations

from typing import Any

from edgewatch.logs.formats.info import ERROR_LEVELS, LineInfo, LineKind
from edgewatch.logs.formats.values import (
    epoch_ms,
    error_in_text,
    ident,
    message_ids_in,
    number,
    text,
)

Parsed = tuple[str | None, str | None, LineInfo]
_PLATFORM_KINDS: dict[str, LineKind] = {
    "platform.start": "start",
    "platform.report": "report",
    "platform.runtimeDone": "runtime_done",
    "platform.initStart": "init_start",
    "platform.initReport": "init_report",
    "platform.initRuntimeDone": "init_report",
}


def is_platform(data: dict[str, Any]) -> bool:
    kind = data.get("type")
    return isinstance(kind, str) and kind.startswith("platform.") and "record" in data


def is_app(data: dict[str, Any]) -> bool:
    return "requestId" in data and "level" in data and "timestamp" in data


def parse_platform(data: dict[str, Any]) -> Parsed:
    record = data.get("record")
    record = record if isinstance(record, dict) else {}
    kind = _PLATFORM_KINDS.get(str(data.get("type")), "app")
    metrics = record.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    status = ident(record.get("status"))
    status = status.lower() if status else None
    error_type = ident(record.get("errorType"))
    duration = number(metrics.get("durationMs")) if kind == "report" else None
    init = number(metrics.get("initDurationMs"))
    if kind == "init_report":
        init = number(metrics.get("durationMs"))
    failed = status is not None and status != "success"
    info = LineInfo(
        "lambda_json",
        kind,
        record_time_ms=epoch_ms(data.get("time")),
        duration_ms=duration,
        init_duration_ms=init,
        status=status if kind in ("report", "runtime_done", "init_report") else None,
        error_type=error_type,
        error_message=f"invocation {status}" if failed and kind == "report" else None,
    )
    return ident(record.get("requestId")), "ERROR" if failed else None, info


def parse_app(data: dict[str, Any]) -> Parsed:
    message = data.get("message")
    inner = message if isinstance(message, dict) else {}
    level = ident(data.get("level"))
    level = level.upper() if level else None
    error_type = ident(data.get("errorType")) or ident(inner.get("errorType"))
    error_message = text(data.get("errorMessage")) or text(inner.get("errorMessage"))
    if error_type is None and level in ERROR_LEVELS and isinstance(message, str):
        error_type, found = error_in_text(message)
        error_message = error_message or found or text(message)
    info = LineInfo(
        "lambda_json",
        message_ids=message_ids_in(data),
        record_time_ms=epoch_ms(data.get("timestamp")),
        error_type=error_type,
        error_message=error_message,
    )
    request_id = ident(data.get("requestId")) or ident(inner.get("requestId"))
    return request_id, level, info
