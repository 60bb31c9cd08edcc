"""Log formats edgewatch understands: Lambda text and JSON, Powertools, EMF, mapped JSON.

Each line is parsed once into a request ID, a level and a :class:`LineInfo`: Lambda plain
text and JSON (platform and application records), Powertools (Python, TypeScript), the
Embedded Metric Format, and any JSON with the common keys or a ``[logs.fields]`` mapping.
``docs/log-formats.md`` lists which field comes from where.

No input can make :func:`parse_line` raise: a record it cannot read is plain text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from edgewatch import safe_json
from edgewatch.logs.formats import edgewatch_json, emf, lambda_json, lambda_text, powertools
from edgewatch.logs.formats.info import ERROR_LEVELS, PLAIN, FormatName, LineInfo, LineKind
from edgewatch.logs.formats.mapping import FIELD_KEYS, NO_MAPPING, FieldMap, split_path
from edgewatch.logs.formats.values import epoch_ms, number, receive_count_in

__all__ = [
    "ERROR_LEVELS",
    "FIELD_KEYS",
    "NO_MAPPING",
    "FieldMap",
    "FormatName",
    "LineInfo",
    "LineKind",
    "parse_json",
    "parse_line",
    "split_path",
]

Parsed = tuple[str | None, str | None, LineInfo]
_SENT_KEYS = ("emitted_at", "SentTimestamp", "sent_timestamp", "sentTimestamp")


def parse_json(message: str) -> dict[str, Any] | None:
    """The message as a JSON object, else ``None`` (deep nesting included: never raises).

    A JSON payload after a tab (a runtime's text prefix, then the app's JSON) counts too.
    """
    text = message.strip()
    if not text.endswith("}"):
        return None
    candidates = [text]
    if not text.startswith("{") and "\t" in text:
        candidates.append(text.rsplit("\t", 1)[1])
    for candidate in candidates:
        if candidate.startswith("{"):
            try:
                value = safe_json.loads(candidate)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def parse_line(
    message: str, parsed: dict[str, Any] | None, fields: FieldMap = NO_MAPPING
) -> Parsed:
    """``(request_id, level, info)`` of a raw message (``parsed``: its JSON object, if any)."""
    try:
        return _parse(message, parsed, fields)
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError, AttributeError):
        return None, None, PLAIN


def _parse(message: str, parsed: dict[str, Any] | None, fields: FieldMap) -> Parsed:
    if not message.lstrip().startswith("{"):
        found = lambda_text.parse(message)
        if found is not None:
            return found
    if parsed is None:
        return None, None, PLAIN
    if emf.matches(parsed):
        return emf.parse(parsed)
    if lambda_json.is_platform(parsed):
        return lambda_json.parse_platform(parsed)
    if powertools.matches(parsed):
        result = powertools.parse(parsed)
    elif lambda_json.is_app(parsed):
        result = lambda_json.parse_app(parsed)
    else:
        result = edgewatch_json.parse(parsed)
    result = _worker_fields(parsed, *result)
    if not fields.empty:
        result = fields.apply(parsed, *result)
    return result


def _worker_fields(
    data: dict[str, Any], request_id: str | None, level: str | None, info: LineInfo
) -> Parsed:
    """Latency and queue-lag keys any application record may carry, whatever its format."""
    changes: dict[str, Any] = {}
    if info.format == "edgewatch":
        count = receive_count_in(data)
        return request_id, level, replace(info, receive_count=count) if count else info
    if (latency := number(data.get("latency_ms"))) is not None:
        changes["latency_ms"] = latency
    if (lag := number(data.get("queue_lag_ms"))) is not None:
        changes["queue_lag_ms"] = lag
    if info.receive_count is None and (count := receive_count_in(data)) is not None:
        changes["receive_count"] = count
    for key in _SENT_KEYS:
        if (emitted := epoch_ms(data.get(key))) is not None:
            changes["emitted_at_ms"] = emitted
            break
    edge = data.get("request_id")  # an application's own request ID next to Lambda's
    own = info.format != "json" and info.correlation_id is None
    if own and isinstance(edge, str) and edge and edge != request_id:
        changes["correlation_id"] = edge[:200]
    return request_id, level, replace(info, **changes) if changes else info
