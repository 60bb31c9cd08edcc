"""The hand-written log fixtures in ``tests/data/logs`` (one CloudWatch event per line)."""

from __future__ import annotations

from pathlib import Path

from edgewatch.logs.models import LogLine, make_line

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
STEP_MS = 10


def events(name: str) -> list[str]:
    """The fixture's events, in order (tabs kept, no trailing newline)."""
    return [line for line in (DATA / name).read_text().splitlines() if line.strip()]


def lines(
    name: str, *, base_ms: int = 1_796_032_800_000, group: str = "/aws/lambda/f"
) -> list[LogLine]:
    """The fixture parsed as a source would, one event every ``STEP_MS`` from ``base_ms``."""
    return [
        make_line(
            event_id=str(i),
            timestamp=base_ms + i * STEP_MS,
            log_group=group,
            stream="2026/11/30/[$LATEST]0123456789abcdef",
            message=message,
        )
        for i, message in enumerate(events(name))
    ]


def put_events(name: str, base_ms: int) -> list[dict[str, object]]:
    """``PutLogEvents`` entries for the fixture, one every ``STEP_MS`` from ``base_ms``."""
    return [
        {"timestamp": base_ms + i * STEP_MS, "message": message}
        for i, message in enumerate(events(name))
    ]


def report_durations(name: str) -> list[float]:
    """The reference: ``Duration`` of each REPORT line / ``durationMs`` of each platform.report,
    read with a plain string split, independently of edgewatch's parsers."""
    import json

    found: list[float] = []
    for message in events(name):
        if message.startswith("REPORT "):
            for part in message.split("\t"):
                if part.startswith("Duration: "):
                    found.append(float(part.split()[1]))
        elif message.startswith("{") and '"platform.report"' in message:
            found.append(float(json.loads(message)["record"]["metrics"]["durationMs"]))
    return found
