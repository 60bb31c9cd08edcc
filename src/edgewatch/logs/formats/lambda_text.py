"""Lambda's plain-text log format: START/END/REPORT, INIT_START/INIT_REPORT, XRAY, app lines.

Application lines carry the request ID: Python writes ``[LEVEL]\\t<ISO>Z\\t<id>\\t<message>``,
Node.js ``<ISO>Z\\t<id>\\tLEVEL\\t<message>``; an uncaught Python error is ``[ERROR] Type: msg``
and a timeout ``<ISO>Z <id> Task timed out after 3.00 seconds``. A REPORT line's ``Duration`` is
the invocation's (``Billed Duration`` includes init since 2025 and is not charted).
"""

from __future__ import annotations

import re
from typing import Any

from edgewatch import safe_json
from edgewatch.logs.formats.info import ERROR_LEVELS, LineInfo
from edgewatch.logs.formats.values import (
    epoch_ms,
    error_in_text,
    ident,
    message_ids_in,
    message_ids_in_text,
    receive_count_in_text,
    text,
)

_ID = r"([A-Za-z0-9][A-Za-z0-9-]{0,99})"
_START = re.compile(r"^START RequestId: " + _ID + r"(?:\s+Version: (\S+))?")
_END = re.compile(r"^END RequestId: " + _ID)
_REPORT = re.compile(r"^REPORT RequestId: " + _ID)
_MS = re.compile(r"(?:^INIT_REPORT |\t)([A-Z][A-Za-z ]*): ([0-9]+(?:\.[0-9]+)?) ms")
_FIELD = re.compile(r"(Status|Error Type|Phase): ([^\t]+)")
_PY_APP = re.compile(r"^\[([A-Z]+)\]\t(\d{4}-\d\d-\d\dT[0-9:.]+Z?)\t" + _ID + r"\t(.*)$", re.DOTALL)
_PY_UNCAUGHT = re.compile(r"^\[([A-Z]+)\] (.*)$", re.DOTALL)
_NODE_APP = re.compile(r"^(\d{4}-\d\d-\d\dT[0-9:.]+Z?)\t" + _ID + r"\t([A-Z]+)\t(.*)$", re.DOTALL)
_TIMED_OUT = re.compile(
    r"^(\d{4}-\d\d-\d\dT[0-9:.]+Z?) " + _ID + r" (Task timed out after .*)$", re.DOTALL
)
LEVELS = frozenset({"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL"})

Parsed = tuple[str | None, str | None, LineInfo]  # (request ID, level, info)


def parse(message: str) -> Parsed | None:
    """The line's request ID, level and info, or ``None`` when it is not Lambda plain text."""
    line = message.strip()
    if not line:
        return None
    head = line[:12]
    if head.startswith("START "):
        found = _START.match(line)
        return (found.group(1), None, LineInfo("lambda_text", "start")) if found else None
    if head.startswith("END "):
        found = _END.match(line)
        return (found.group(1), None, LineInfo("lambda_text", "end")) if found else None
    if head.startswith("REPORT "):
        found = _REPORT.match(line)
        return _report(found.group(1), line) if found else None
    if head.startswith("INIT_START "):
        return None, None, LineInfo("lambda_text", "init_start")
    if head.startswith("INIT_REPORT "):
        return _init_report(line)
    if head.startswith("XRAY TraceId"):
        return None, None, LineInfo("lambda_text", "xray")
    return _app(line, len(message) - len(message.lstrip()))


def _report(request_id: str, line: str) -> Parsed:
    figures = {name.strip(): float(value) for name, value in _MS.findall(line)}
    fields = {name: value.strip() for name, value in _FIELD.findall(line)}
    status = fields.get("Status", "success").lower()
    error_type = fields.get("Error Type")
    info = LineInfo(
        "lambda_text",
        "report",
        duration_ms=figures.get("Duration"),
        init_duration_ms=figures.get("Init Duration"),
        status=status,
        error_type=error_type,
        error_message=None if status == "success" else f"invocation {status}",
    )
    return request_id, "ERROR" if status != "success" else None, info


def _init_report(line: str) -> Parsed:
    figures = {name.strip(): float(value) for name, value in _MS.findall(line)}
    fields = {name: value.strip() for name, value in _FIELD.findall(line)}
    status = fields.get("Status", "success").lower()
    info = LineInfo(
        "lambda_text",
        "init_report",
        init_duration_ms=figures.get("Init Duration"),
        status=status,
        error_type=fields.get("Error Type"),
        error_message=None if status == "success" else f"init {status} ({fields.get('Phase')})",
    )
    return None, "ERROR" if status != "success" else None, info


def _app(line: str, lead: int) -> Parsed | None:
    """An application line; ``lead`` is the whitespace stripped off the front of the message."""
    if found := _PY_APP.match(line):
        level, at, request_id, body = found.groups()
    elif (found := _NODE_APP.match(line)) and found.group(3) in LEVELS:
        at, request_id, level, body = found.groups()
    elif found := _TIMED_OUT.match(line):
        at, request_id, body = found.groups()
        info = LineInfo(
            "lambda_text",
            record_time_ms=epoch_ms(at),
            status="timeout",
            error_type="Sandbox.Timedout",
            error_message=body,
            body_start=lead + found.start(3),
        )
        return request_id, "ERROR", info
    elif (found := _PY_UNCAUGHT.match(line)) and found.group(1) in LEVELS:
        level, body = found.groups()
        error_type, error_message = error_in_text(body) if level in ERROR_LEVELS else (None, None)
        return (
            None,
            level,
            LineInfo(
                "lambda_text",
                message_ids=message_ids_in_text(body),
                error_type=error_type,
                error_message=error_message,
                body_start=lead + found.start(2),
            ),
        )
    else:
        return None
    body_start = lead + found.start(4)
    level = level.upper()
    payload = _json_tail(body)
    message_ids = message_ids_in(payload) if payload else ()
    message_ids = tuple(dict.fromkeys((*message_ids, *message_ids_in_text(body))))
    error_type = error_message = None
    if payload is not None:
        error_type = ident(payload.get("errorType"))
        error_message = text(payload.get("errorMessage"))
        own_level = ident(payload.get("level"))  # the app's structured level is the finer one
        if own_level:
            level = own_level.upper()
    if error_type is None and level in ERROR_LEVELS:
        error_type, error_message = error_in_text(body)
        if error_type is None:
            error_message = text(body.strip())
    info = LineInfo(
        "lambda_text",
        message_ids=message_ids,
        record_time_ms=epoch_ms(at),
        error_type=error_type,
        error_message=error_message,
        receive_count=receive_count_in_text(body),
        body_start=body_start,
    )
    return request_id, level, info


def _json_tail(body: str) -> dict[str, Any] | None:
    """A JSON object the app printed after its text (Node's ``Invoke Error \\t{…}``)."""
    start = body.find("{")
    if start < 0 or not body.rstrip().endswith("}"):
        return None
    try:
        value = safe_json.loads(body[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
