"""Custom event bodies: JSON typed by an operator (``--body``, the Send screen) or read from a file.

A body is validated before anything is sent, with messages that point at the mistake (line and
column). What the operator wrote is sent as written: fields edgewatch adds to a JSON object
(``request_id``, ``emitted_at``, ``poison``) are inserted as text after its opening brace, so the
rest of the document keeps its spacing, key order and number spelling byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgewatch_emitter.rules import check_text

MAX_FILE_LINES = 100_000


class BodyError(ValueError):
    """A body that cannot be sent, phrased for the operator (``line`` when from a file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line
        self.reason = message


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A validated JSON document: the text as written and the value it parses to."""

    text: str
    value: Any
    line: int | None = None  # its line in a JSON-lines file

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def with_fields(self, fields: dict[str, Any]) -> str:
        """The text with ``fields`` inserted (objects only; keys it already has are kept)."""
        if not self.is_object:
            return self.text
        missing = {k: v for k, v in fields.items() if k not in self.value}
        if not missing:
            return self.text
        added = json.dumps(missing, ensure_ascii=False, separators=(",", ":"))[1:-1]
        start = self.text.index("{") + 1
        empty = not self.value
        return f"{self.text[:start]}{added}{'' if empty else ','}{self.text[start:]}"


def parse_body(text: str, *, line: int | None = None) -> JsonBody:
    """Parse and check one body; raises :class:`BodyError` saying where it is wrong."""
    if not text.strip():
        raise BodyError("empty body (SQS needs at least one character)", line)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if line is not None else _where(exc)
        raise BodyError(f"invalid JSON: {exc.msg} ({where})", line) from None
    except RecursionError:
        raise BodyError("invalid JSON: nested too deeply", line) from None
    try:
        check_text(text, "the body")
    except ValueError as exc:
        raise BodyError(str(exc), line) from None
    return JsonBody(text, value, line)


def body_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a body, or ``None``: for validation as one types."""
    try:
        parse_body(text)
    except BodyError as exc:
        return str(exc)
    return None


def _where(exc: json.JSONDecodeError) -> str:
    return f"line {exc.lineno}, column {exc.colno}" if "\n" in exc.doc else f"column {exc.colno}"


@dataclass(frozen=True, slots=True)
class JsonLines:
    """A JSON-lines file: its valid bodies, and the lines that were not (with the reason)."""

    bodies: tuple[JsonBody, ...]
    invalid: tuple[BodyError, ...]


def read_json_lines(path: str | Path) -> JsonLines:
    """One body per non-blank line; blank lines are skipped. Raises ``OSError`` if unreadable,
    :class:`BodyError` for a file that is not UTF-8 text or is too long."""
    path = Path(path)
    try:
        content = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    bodies: list[JsonBody] = []
    invalid: list[BodyError] = []
    for number, text in enumerate(content.splitlines(), start=1):
        if not text.strip():
            continue
        if len(bodies) + len(invalid) >= MAX_FILE_LINES:
            raise BodyError(f"{path}: more than {MAX_FILE_LINES:,} events; split the file")
        try:
            bodies.append(parse_body(text, line=number))
        except BodyError as exc:
            invalid.append(exc)
    return JsonLines(tuple(bodies), tuple(invalid))
