"""What SQS accepts in a message, checked by the caller so that ``emit()`` can refuse at once.

These checks run on the hot path, so they are regex searches in C and set look-ups; anything that
needs more (serialising a dict, exact UTF-8 sizes of long text) happens in the background.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_BATCH_ENTRIES = 10
SQS_MAX_BYTES = 1_048_576  # largest message and largest batch payload since 2025
MAX_ATTRIBUTES = 10
MAX_DELAY_S = 900
MAX_ID_LENGTH = 128  # MessageGroupId, MessageDeduplicationId

# XML 1.0 characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
_INVALID_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INVALID_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_\-.]{1,256}")
_FIFO_ID = re.compile(r"[!-~]{1,128}")  # alphanumerics and punctuation, no spaces

AttributeValue = str | int | float | bool | bytes  # bool is sent as String "true"/"false"


def check_text(text: str, what: str) -> None:
    """Raise ValueError if ``text`` holds a character SQS refuses."""
    pattern = _INVALID_ASCII if text.isascii() else _INVALID_TEXT
    match = pattern.search(text)
    if match is not None:
        raise ValueError(
            f"{what} contains U+{ord(match.group()):04X} at index {match.start()}, "
            "which SQS does not accept"
        )


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_body(body: str, limit: int, extra: int = 0) -> None:
    """Body rules: non-empty, valid characters, body + attributes within ``limit`` bytes."""
    n = len(body)
    if n == 0:
        raise ValueError("SQS does not accept an empty message body")
    check_text(body, "message body")
    if (n if body.isascii() else 4 * n) + extra > limit and utf8_size(body) + extra > limit:
        raise ValueError(
            f"message of {utf8_size(body) + extra} bytes exceeds the queue's maximum of {limit}"
        )


_known_names: set[str] = set()


def check_attributes(attributes: Mapping[str, Any]) -> int:
    """Validate message attributes; returns their size as SQS counts it (name + type + value)."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"SQS accepts at most {MAX_ATTRIBUTES} message attributes")
    size = 0
    for name, value in attributes.items():
        if name not in _known_names:
            check_attribute_name(name)
            if len(_known_names) < 4096:
                _known_names.add(name)
        kind = type(value)
        if kind is str:
            if not value:
                raise ValueError(f"message attribute {name!r} has an empty value")
            check_text(value, f"message attribute {name!r}")
            size += len(name) + 6 + utf8_size(value)
        elif kind is bool:
            size += len(name) + 6 + (4 if value else 5)
        elif kind is int or kind is float:
            if kind is float and not math.isfinite(value):
                raise ValueError(f"message attribute {name!r} is not a finite number")
            size += len(name) + 6 + len(_number_text(value))
        elif kind is bytes or isinstance(value, bytes | bytearray | memoryview):
            if not value:
                raise ValueError(f"message attribute {name!r} has an empty value")
            size += len(name) + 6 + len(value)
        else:
            raise TypeError(
                f"message attribute {name!r}: expected str, int, float or bytes, "
                f"got {type(value).__name__}"
            )
    return size


def check_attribute_name(name: object) -> None:
    if not isinstance(name, str) or _ATTRIBUTE_NAME.fullmatch(name) is None:
        raise ValueError(f"message attribute name {name!r}: 1-256 characters of A-Z a-z 0-9 _ - .")
    lowered = name.lower()
    if lowered.startswith(("aws.", "amazon.")):
        raise ValueError(f"message attribute name {name!r} uses a prefix reserved by AWS")
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise ValueError(f"message attribute name {name!r}: no leading, trailing or double '.'")


def check_fifo_id(value: object, what: str) -> str:
    if not isinstance(value, str) or _FIFO_ID.fullmatch(value) is None:
        raise ValueError(
            f"{what} must be 1-{MAX_ID_LENGTH} characters of letters, digits and punctuation"
        )
    return value


def check_delay(delay_s: object) -> int:
    if (
        not isinstance(delay_s, int | float)
        or isinstance(delay_s, bool)
        or not 0 <= delay_s <= MAX_DELAY_S
        or int(delay_s) != delay_s
    ):
        raise ValueError(f"delay_s must be a whole number of seconds from 0 to {MAX_DELAY_S}")
    return int(delay_s)


def _number_text(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def encode_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Attributes in the SQS JSON protocol's shape (already validated by check_attributes)."""
    encoded: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        if isinstance(value, str):
            encoded[name] = {"DataType": "String", "StringValue": value}
        elif isinstance(value, bool):
            encoded[name] = {"DataType": "String", "StringValue": "true" if value else "false"}
        elif isinstance(value, int | float):
            encoded[name] = {"DataType": "Number", "StringValue": _number_text(value)}
        else:
            encoded[name] = {
                "DataType": "Binary",
                "BinaryValue": base64.b64encode(bytes(value)).decode("ascii"),
            }
    return encoded
