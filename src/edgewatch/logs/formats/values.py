"""Small, total conversions shared by the format modules: none of them raises on odd input."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

_MS_THRESHOLD = 1e11  # epoch values above this are milliseconds
MAX_ID = 200
# "messageId=…", "message_id: …", "MessageId …" in free text (a handler's own words).
MESSAGE_ID_TEXT = re.compile(
    r"(?:messageId|message_id|MessageId|message[ -]ID)[\"']?\s*[=:]?\s*[\"']?"
    r"([A-Za-z0-9][A-Za-z0-9_-]{7,99})"
)
MESSAGE_ID_KEYS = ("messageId", "message_id", "MessageId")
ERROR_TEXT = re.compile(
    r"\b((?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Z][A-Za-z0-9_]*(?:Error|Exception|Timeout|Fault))"
    r"(?::\s*(.*))?"
)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def text(value: Any, limit: int = 2000) -> str | None:
    """A non-empty string (numbers as text), cut to ``limit``; anything else ``None``."""
    if isinstance(value, str):
        return value[:limit] if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def ident(value: Any) -> str | None:
    found = text(value, MAX_ID)
    return found.strip() or None if found else None


def epoch_ms(value: Any) -> float | None:
    """Epoch milliseconds from seconds, milliseconds or an ISO-8601 string (any offset)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            return None
        return float(value) if value >= _MS_THRESHOLD else float(value) * 1000
    if isinstance(value, str) and 0 < len(value) <= 64:
        try:  # also Powertools Python's local time "2021-05-03 10:20:19,650+0200"
            at = datetime.fromisoformat(value.replace(",", ".", 1))
        except ValueError:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        try:
            return at.timestamp() * 1000
        except (OverflowError, OSError, ValueError):
            return None
    return None


def dig(data: Any, path: tuple[str, ...]) -> Any:
    """``data[a][b]…`` for a key path, else ``None``."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def message_ids_in(data: dict[str, Any]) -> tuple[str, ...]:
    """Message IDs a JSON record names: its own keys, batch item failures, SQS records."""
    found: list[str] = []
    scopes = [data]
    inner = data.get("message")
    if isinstance(inner, dict):
        scopes.append(inner)
    for scope in scopes:
        for key in MESSAGE_ID_KEYS:
            value = ident(scope.get(key))
            if value:
                found.append(value)
        failures = scope.get("batchItemFailures")
        if isinstance(failures, list):
            for item in failures[:100]:
                if isinstance(item, dict) and (value := ident(item.get("itemIdentifier"))):
                    found.append(value)
        records = scope.get("Records")
        if isinstance(records, list):
            for item in records[:100]:
                if isinstance(item, dict) and (value := ident(item.get("messageId"))):
                    found.append(value)
    return tuple(dict.fromkeys(found))


def message_ids_in_text(message: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group(1) for m in MESSAGE_ID_TEXT.finditer(message[:20_000])))


def error_in_text(message: str) -> tuple[str | None, str | None]:
    """``(type, message)`` of an error named in free text (``KeyError: 'x'``), else Nones."""
    found = ERROR_TEXT.search(message[:20_000])
    if found is None:
        return None, None
    detail = (found.group(2) or "").strip() or None
    return found.group(1), detail[:2000] if detail else None


RECEIVE_KEYS = ("receive_count", "receiveCount", "ApproximateReceiveCount", "attempt")
RECEIVE_TEXT = re.compile(r"(?:receiveCount|receive_count|attempt)[=: ]\s*(\d{1,6})\b")


def receive_count_in(data: dict[str, Any]) -> int | None:
    """The receive attempt a record names (SQS's attributes hold it as a string)."""
    for scope in (data, data.get("attributes")):
        if not isinstance(scope, dict):
            continue
        for key in RECEIVE_KEYS:
            value = scope.get(key)
            if isinstance(value, str) and value.isdigit() and len(value) < 7:
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**6:
                return value
    return None


def receive_count_in_text(message: str) -> int | None:
    found = RECEIVE_TEXT.search(message[:20_000])
    return int(found.group(1)) if found else None
