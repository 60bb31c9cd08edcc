"""Screenshots of the Logs screen on fixed lines (frozen clock, no tail, no timers).

Regenerate with ``uv run pytest tests/tui/test_logs_snapshots.py --snapshot-update`` and look
at the SVGs before checking them in.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from edgewatch.logs.models import LogLine
from tests.support.tui_logs import (
    ANSI,
    MARKUP,
    OTHER_RID,
    RID,
    feed,
    log_line,
    logs_app,
    many,
    text_line,
)

SIZE = (120, 36)


def mixed_lines() -> list[LogLine]:
    """A worker's morning: processed events, a retry warning, debug noise, a failure with its
    traceback as text lines, and a slow call."""
    lines = list(many(0, 24))
    lines += [
        log_line(24, rid=RID, level="WARNING", message="retrying", attempt=2, backoff_ms=400),
        log_line(25, level="DEBUG", message="long poll returned", messages=10),
        log_line(
            26, rid=RID, level="ERROR", message="event failed",
            error="poison event: rejected by schema validation (field 'poison')",
            receive_count=3, session_id="s-ac7212040870", type="query",
            emitted_at=1799999426083, processed_at=1799999426248,
            context={"region": "eu-west-1", "tags": ["edge", "beta"]},
        ),
        text_line(27, "Traceback (most recent call last):"),
        text_line(28, '  File "/var/task/handler.py", line 42, in handle'),
        log_line(29, rid=OTHER_RID, message="event processed", latency_ms=312.4),
    ]  # fmt: skip
    lines += list(many(30, 4))
    return lines


def at_logs(lines: list[LogLine], *keys: str):
    async def run_before(pilot: Pilot[Any]) -> None:
        feed(pilot.app, *lines)  # type: ignore[arg-type]
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_logs_detail_panel(snap_compare: Any) -> None:
    """Level colours in the list; the failed event's JSON pretty-printed in the side panel."""
    lines = mixed_lines()
    run = at_logs(lines, *(["up"] * 7), "enter")
    assert snap_compare(logs_app(), terminal_size=SIZE, run_before=run)


def test_logs_markup_and_ansi_literal(snap_compare: Any) -> None:
    """``[bold red]x[/]`` and ``\\x1b[31mred\\x1b[0m`` shown as characters: in a text line, in a
    JSON line's fields and request ID column, and in the filter line (``/[bold``)."""
    lines = list(many(0, 6))
    lines += [
        text_line(6, f"plain text with {MARKUP} and {ANSI} inside"),
        log_line(
            7, rid=f"{MARKUP}{ANSI}", level="ERROR", message=f"failed: {MARKUP}",
            error=f"{ANSI} then {MARKUP}",
        ),
    ]  # fmt: skip
    run = at_logs(lines, "slash", *"[bold", "enter")
    assert snap_compare(logs_app(), terminal_size=SIZE, run_before=run)
