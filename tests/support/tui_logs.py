"""Helpers for the Logs screen and latency chart tests: fixed lines, apps, scripted sources.

Everything here is deterministic: lines carry fixed timestamps around the frozen ``NOW``, the
app never polls nor ticks by itself (``auto_poll=False``), and a scripted source delivers only
what a test hands it.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from typing import Any

from textual import events
from textual.pilot import Pilot

from edgewatch.aws import AwsTarget
from edgewatch.config import LatencySettings, LogsSettings, Settings
from edgewatch.logs.latency import LatencyStats
from edgewatch.logs.models import Emit, LogBatch, LogLine, make_line
from edgewatch.runtime import Runtime
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.logs.screen import LogsScreen
from tests.support.tui import FIXED_ENDPOINT, FIXED_REGION, NOW, THRESHOLDS, wait_for

GROUP = "/edge/consumer"
STREAM = "2027/01/15/[$LATEST]0a1b2c3d"
RID = "6f1c2a9b-3de4-4c1a-9b7e-0123456789ab"
OTHER_RID = "0d9e8f7a-1111-4222-8333-444455556666"
MARKUP = "[bold red]x[/]"
ANSI = "\x1b[31mred\x1b[0m"


def log_line(
    i: int,
    *,
    rid: str | None = None,
    level: str = "INFO",
    message: str = "event processed",
    at: float | None = None,
    **fields: Any,
) -> LogLine:
    """A worker's JSON line like the embedded consumer's, ``i`` seconds after ``NOW - 600``."""
    at = NOW - 600 + i if at is None else at
    body: dict[str, Any] = {
        "timestamp": at,
        "level": level,
        "message": message,
        "request_id": rid,
        "queue": "edge-analytics",
        "outcome": "error" if level == "ERROR" else "ok",
        "latency_ms": round(5 + (i * 7) % 40 + 0.5, 1),
        "queue_lag_ms": 150 + (i * 13) % 90,
    }
    body.update(fields)
    return make_line(
        event_id=f"ev-{i:06d}",
        timestamp=int(at * 1000),
        log_group=GROUP,
        stream=STREAM,
        message=json.dumps(body),
    )


def text_line(i: int, text: str, *, at: float | None = None) -> LogLine:
    """A line that is not JSON (a stack trace, a runtime's own output)."""
    at = NOW - 600 + i if at is None else at
    return make_line(
        event_id=f"ev-{i:06d}", timestamp=int(at * 1000), log_group=GROUP, stream=STREAM,
        message=text,
    )  # fmt: skip


def many(start: int, n: int, rids: tuple[str, ...] = (RID, OTHER_RID)) -> tuple[LogLine, ...]:
    return tuple(log_line(start + k, rid=rids[(start + k) % len(rids)]) for k in range(n))


def logs_runtime(
    *, groups: bool | list[str] = True, theme: str = "edgewatch-dark", **logs: Any
) -> Runtime:
    """``groups``: the one test group, none, or these names."""
    names = groups if isinstance(groups, list) else [GROUP] if groups else []
    settings = Settings(
        theme=theme,
        thresholds=THRESHOLDS,
        logs=LogsSettings(groups=names, **logs),
        latency=LatencySettings(window_s=60, slo_ms=250),
    )
    return Runtime(settings, AwsTarget(region=FIXED_REGION, endpoint_url=FIXED_ENDPOINT))


def frozen() -> float:
    return NOW


def logs_app(
    *, groups: bool | list[str] = True, theme: str = "edgewatch-dark", **logs: Any
) -> EdgewatchApp:
    """An app with a log group configured that never polls, ticks or reads by itself.

    Its request search is off too (the fixed endpoint is not a server): ``test_logs_live``
    runs the real one against moto.
    """
    runtime = logs_runtime(groups=groups, theme=theme, **logs)
    app = EdgewatchApp(runtime, auto_poll=False, clock=frozen)

    async def no_search(query: Any) -> None:
        return None

    app.logs.search = no_search  # type: ignore[method-assign]
    return app


def unconfigured_logs_app(endpoint_url: str) -> EdgewatchApp:
    """No log group configured, AWS at ``endpoint_url``: the log groups come from discovery."""
    settings = Settings(
        thresholds=THRESHOLDS,
        latency=LatencySettings(window_s=60, slo_ms=250),
    )
    runtime = Runtime(
        settings,
        AwsTarget(region=FIXED_REGION, endpoint_url=endpoint_url, credentials=FAKE_CREDENTIALS),
    )
    return EdgewatchApp(runtime, auto_poll=False, clock=frozen)


def feed(app: EdgewatchApp, *lines: LogLine) -> None:
    """Deliver lines as the tail worker would (the app's ingest path, synchronously)."""
    app.logs.feed.started = True
    app.logs.ingest(LogBatch(lines=tuple(lines)))


def logs_screen(app: EdgewatchApp) -> LogsScreen:
    screen = app.screen
    assert isinstance(screen, LogsScreen), screen
    return screen


async def open_logs(pilot: Pilot[Any]) -> LogsScreen:
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), what="Logs screen")
    await pilot.pause()
    return logs_screen(pilot.app)  # type: ignore[arg-type]


def wheel(widget: Any, *, up: bool) -> None:
    """One notch of the mouse wheel over ``widget`` (the event a terminal sends)."""
    kind = events.MouseScrollUp if up else events.MouseScrollDown
    widget.post_message(kind(widget, 2, 2, 0, -1 if up else 1, 0, False, False, False))


class ScriptedSource:
    """A log source that delivers what the test puts in, honouring pause like a real one."""

    name = GROUP

    def __init__(self) -> None:
        self.queue: asyncio.Queue[LogBatch] = asyncio.Queue()
        self.delivered = 0

    async def run(self, emit: Emit, running: asyncio.Event | None = None) -> None:
        while True:
            batch = await self.queue.get()
            if running is not None:
                await running.wait()  # a paused source makes no request and reads nothing
            await emit(batch)
            self.delivered += 1


def fixed_latency(now: float = NOW, seconds: int = 300, seed: int = 7) -> LatencyStats:
    """Five minutes of per-second samples, ticked by hand: a slow wave, a p99 tail above the
    SLO, a quiet stretch with no traffic (a gap in every line) and queue lag in the hundreds."""
    stats = LatencyStats(window_s=60, history=seconds)
    rng = random.Random(seed)
    end = int(now)
    start = end - seconds
    for second in range(start, end + 1):
        quiet = start + 150 <= second < start + 220  # 70 s without traffic: > the window
        if not quiet:
            for k in range(10):
                at = second + k / 10
                base = 9 + 4 * math.sin(second / 25)
                slow = 280 if rng.random() < 0.02 else 0
                stats.add_sample("latency", at, rng.lognormvariate(math.log(base), 0.4) + slow)
                lag = 180 + 60 * math.sin(second / 40) + rng.uniform(0, 60)
                stats.add_sample("queue_lag", at, lag)
        stats.tick(second)
    return stats
