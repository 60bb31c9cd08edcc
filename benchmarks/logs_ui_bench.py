"""Measure the Logs screen and the latency chart against their budgets.

1. **Keeping up with 2,000 lines/s** (headless, ``App.run_test``): a synthetic source offers
   JSON worker lines at ``--rate`` through the real ``LogTail`` into the real app, with the Logs
   screen open and following and the latency tick running. Per batch it records:
   - handler lag: the worker posting ``LogBatchReady`` → the app having ingested it and every
     view updated (``LogService.handle`` returned);
   - render lag: the same post → the next screen refresh after it (``call_after_refresh``);
   - end-to-end lag: the oldest line of the batch created by the source → handled (includes
     any wait in the tail's queue, i.e. any back-pressure the UI put on the reader);
   and the rate actually delivered: below the offered rate means the UI could not keep up.
2. **Idle CPU with the chart on** (real terminal, tmux 120x36): the console at a 1 s poll on
   10 queues and the log group of an ``edgewatch demo`` run in another process (so moto's work
   is not counted), chart fed by the live worker logs; CPU of the console process only.

Usage: ``uv run python benchmarks/logs_ui_bench.py [--seconds 20] [--rate 2000]
[--idle-seconds 60] [--skip-idle]``. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from edgewatch.aws import AwsTarget  # noqa: E402
from edgewatch.config import LogsSettings, Settings  # noqa: E402
from edgewatch.logs.models import Emit, LogBatch, LogLine, make_line  # noqa: E402
from edgewatch.logs.tail import LogTail  # noqa: E402
from edgewatch.runtime import Runtime  # noqa: E402
from edgewatch.tui import EdgewatchApp  # noqa: E402
from edgewatch.tui.logs.screen import LogsScreen  # noqa: E402
from edgewatch.tui.logs.service import LogBatchReady  # noqa: E402
from edgewatch.tui.logs.view import LogView  # noqa: E402

GROUP = "/bench/consumer"
STEP_S = 0.01  # the source wakes every 10 ms and emits what is due


class RateSource:
    """Offers JSON lines at ``rate`` per second (like a busy worker), honouring back-pressure:
    ``emit`` blocks while the tail's queue is full, and the source then falls behind."""

    name = GROUP

    def __init__(self, rate: float, created: dict[str, float]) -> None:
        self.rate = rate
        self.created = created
        self.offered = 0

    def _line(self, n: int, now: float) -> LogLine:
        body = {
            "timestamp": now,
            "level": "ERROR" if n % 50 == 0 else "INFO",
            "message": "event failed" if n % 50 == 0 else "event processed",
            "request_id": f"{n:08x}-3de4-4c1a-9b7e-0123456789ab",
            "message_id": f"m-{n}",
            "queue": "edge-analytics",
            "outcome": "error" if n % 50 == 0 else "ok",
            "latency_ms": 5.0 + n % 40,
            "queue_lag_ms": 150 + n % 90,
            "receive_count": 1,
            "error": None,
            "session_id": "s-ac7212040870",
            "type": "query",
        }
        return make_line(
            event_id=str(n),
            timestamp=int(now * 1000),
            log_group=GROUP,
            stream="bench",
            message=json.dumps(body, separators=(",", ":")),
        )

    async def run(self, emit: Emit, running: asyncio.Event | None = None) -> None:
        start = time.perf_counter()
        while True:
            due = int((time.perf_counter() - start) * self.rate) - self.offered
            if due > 0:
                now = time.time()
                made = time.perf_counter()
                lines = tuple(self._line(self.offered + i, now) for i in range(due))
                for line in lines:
                    self.created[line.event_id] = made
                self.offered += due
                await emit(LogBatch(lines=lines))
            await asyncio.sleep(STEP_S)


def self_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ms(pair: tuple[float, float], digits: int = 1) -> str:
    return f"{pair[0]:.{digits}f} / {pair[1]:.{digits}f} ms"


class GcPauses:
    """Durations of full collections: they, not the handler, set the p99 render lag."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def bench_throughput(seconds: float, rate: float) -> dict[str, Any]:
    settings = Settings(logs=LogsSettings(groups=[GROUP]))
    runtime = Runtime(settings, AwsTarget(region="us-east-1", endpoint_url="http://127.0.0.1:9"))
    app = EdgewatchApp(runtime, auto_poll=False)
    created: dict[str, float] = {}
    handler: list[float] = []
    render: list[float] = []
    e2e: list[float] = []
    handle_cost: list[float] = []
    lines_handled = 0

    def timed(message: LogBatchReady) -> None:
        nonlocal lines_handled
        t0 = time.perf_counter()
        original(message)
        t1 = time.perf_counter()
        handler.append(t1 - message.received_at)
        handle_cost.append(t1 - t0)
        if message.batch.lines:
            lines_handled += len(message.batch.lines)
            oldest = min(created.pop(line.event_id) for line in message.batch.lines)
            e2e.append(t1 - oldest)
            posted = message.received_at
            app.call_after_refresh(lambda: render.append(time.perf_counter() - posted))

    async with app.run_test(size=(120, 36)) as pilot:
        original = app.logs.handle
        app.logs.handle = timed  # type: ignore[method-assign]
        await pilot.press("l")
        while not isinstance(app.screen, LogsScreen):
            await pilot.pause(0.01)
        source = RateSource(rate, created)
        app.logs.start(LogTail([source]), tick=True)  # the latency tick runs, as live
        await asyncio.sleep(1.0)  # warm-up: not measured
        handler.clear(), render.clear(), e2e.clear(), handle_cost.clear()
        start_lines, t0 = lines_handled, time.perf_counter()
        pauses = GcPauses()
        gc.callbacks.append(pauses)
        await asyncio.sleep(seconds)
        gc.callbacks.remove(pauses)
        elapsed = time.perf_counter() - t0
        delivered = lines_handled - start_lines
        total = app.logs.feed.buffer.total
        rss = self_rss_mb()
        view = app.screen.query_one(LogView)
        following = view.follow
        in_view = len(view.lines)
        await app.logs.aclose()
    return {
        "offered": rate,
        "delivered": delivered / elapsed,
        "batches": len(handler),
        "handler": (pct(handler, 0.5), pct(handler, 0.99)),
        "render": (pct(render, 0.5), pct(render, 0.99)),
        "e2e": (pct(e2e, 0.5), pct(e2e, 0.99)),
        "cost": (pct(handle_cost, 0.5), pct(handle_cost, 0.99)),
        "gc": (
            len(pauses.pauses),
            max(pauses.pauses, default=0.0) * 1000,
            sum(pauses.pauses) * 1000,
        ),
        "following": following,
        "total": total,
        "rss": rss,
        "in_view": in_view,
        "seconds": seconds,
    }


def bench_idle_cpu(idle_seconds: float, *, logs: bool = True) -> tuple[float, float, int, str]:
    """The console on a demo stack's 10 queues and log group; CPU% and RSS of the console.

    ``logs=False``: the same without a log source (the baseline: the chart says so, no tail).
    """
    import boto3
    from console_bench import kill_session, measure_console, quit_console, screen, start

    port = 4900 + os.getpid() % 90
    demo = subprocess.Popen(
        ["uv", "run", "edgewatch", "demo", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert demo.stdout is not None
        info: dict[str, str] = {}
        for line in demo.stdout:
            if line.startswith("#"):
                break
            key, _, value = line.strip().partition("=")
            info[key] = value
        endpoint, group = info["endpoint_url"], info["log_group"]
        sqs = boto3.client(
            "sqs", region_name="us-east-1", endpoint_url=endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        existing = sqs.list_queues().get("QueueUrls", [])
        for i in range(10 - len(existing)):
            sqs.create_queue(QueueName=f"bench-{i}")
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        if logs:
            env["EDGEWATCH_LOGS__GROUPS"] = f"'{group}'"
        start(
            f"uv run edgewatch --endpoint-url {endpoint} --region us-east-1 --poll-interval 1", env
        )
        deadline = time.monotonic() + 60
        # the chart has a real p50 (or, without logs, says why not)
        live = re.compile(r"worker latency\s*━\s*p50 \d" if logs else r"no log source")
        while not live.search(screen()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no latency on the chart:\n{screen()}")
            time.sleep(0.2)
        cpu, rss = measure_console(idle_seconds)
        shown = screen()
        queues = len(sqs.list_queues().get("QueueUrls", []))
        quit_console()
        return cpu, rss, queues, shown
    finally:
        kill_session()
        demo.terminate()
        demo.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--skip-idle", action="store_true")
    args = parser.parse_args()
    r = asyncio.run(bench_throughput(args.seconds, args.rate))
    rows = [
        (
            f"lines delivered to the Logs screen ({r['seconds']:.0f} s, offered "
            f"{r['offered']:,.0f}/s)",
            f"{r['delivered']:,.0f} lines/s in {r['batches']} batches; following: "
            f"{r['following']}; {r['in_view']:,} lines in view",
            "the offered rate, no backlog (end-to-end lag stays flat)",
        ),
        ("handler lag (batch posted → handled), p50 / p99", ms(r["handler"]), ""),
        ("render lag (batch posted → next refresh), p50 / p99", ms(r["render"]), ""),
        ("end-to-end (line created → handled), p50 / p99", ms(r["e2e"]), ""),
        ("time in the handler per batch, p50 / p99", ms(r["cost"], 2), ""),
        (
            f"RSS of the process after {r['total']:,} lines received",
            f"{r['rss']:.0f} MB",
            "≤ 200 MB",
        ),
        (
            "full (gen 2) garbage collections in that time",
            f"{r['gc'][0]}, longest {r['gc'][1]:.0f} ms, {r['gc'][2]:.0f} ms in all",
            "",
        ),
    ]
    if not args.skip_idle:
        if shutil.which("tmux") is None:
            print("tmux is needed for the idle CPU part (apt-get install tmux)", file=sys.stderr)
            return 2
        cpu, rss, queues, _ = bench_idle_cpu(args.idle_seconds)
        rows.append(
            (
                f"console idle CPU, chart on (live worker logs), 1 s poll, {queues} queues, "
                f"{args.idle_seconds:.0f} s",
                f"{cpu:.1f} % of one core (RSS {rss:.0f} MB)",
                "≤ 5 %",
            )
        )
    print("| what | measured | budget |")
    print("|---|---|---|")
    for what, measured, budget in rows:
        print(f"| {what} | {measured} | {budget} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
