"""Budget (DESIGN.md §6): console memory with 100,000 log lines received ≤ 200 MB RSS, and flat.

The lines go the whole way a console's do: written to CloudWatch Logs (moto, in a child process
so that its own copy of the events does not count), followed by ``LogTail`` with
``FilterLogEvents`` (pages, dedup, overlap), into a ``LineBuffer`` (10,000 lines by default)
and a ``LatencyStats``. A writer appends while the tail follows, as the worker would. RSS is
printed at 0, 25k, 50k, 75k and 100k lines received (quarters of ``--lines``).

    uv run python benchmarks/logs_memory_bench.py [--lines 100000] [--source cloudwatch|file]

``--source file`` follows a JSON-lines file instead (no moto). Exit status 1 if over budget
or if RSS grew by more than ``--max-growth-mb`` over the second half (50k → 100k lines).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import LogsSettings
from edgewatch.logs.latency import LatencyStats
from edgewatch.logs.models import LineBuffer
from edgewatch.logs.tail import LogTail, TailTargets, build_tail
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

BUDGET_MB = 200.0
GROUP = "/bench/consumer"
PUT_BATCH = 2_000  # ~700 KB per PutLogEvents, under the 1 MiB request limit
MOTO_CHILD = """
import sys, time
from edgewatch.simulator.moto_server import MotoServer
server = MotoServer(int(sys.argv[1])); server.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def rss_mb() -> float:
    """Current resident set size (Linux ``/proc``; elsewhere the peak, which is an upper bound)."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def consumer_record(rng: random.Random, at_ms: int) -> str:
    """A line shaped like the embedded consumer's (~350 bytes)."""
    error = rng.random() < 0.02
    return json.dumps(
        {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at_ms / 1000)),
            "level": "ERROR" if error else "INFO",
            "message": "event failed" if error else "event processed",
            "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "message_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "queue": "edge-analytics",
            "outcome": "error" if error else "ok",
            "latency_ms": round(rng.lognormvariate(2.1, 0.6), 1),
            "queue_lag_ms": rng.randrange(5, 400),
            "receive_count": 1,
            "error": "poison event" if error else None,
            "emitted_at": at_ms - 100,
            "processed_at": at_ms,
        },
        separators=(",", ":"),
    )


def stamp(start_ms: int, i: int, total: int) -> int:
    return start_ms + i * 40_000 // total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", MOTO_CHILD, str(port)], stdout=subprocess.PIPE)
    assert child.stdout is not None
    if child.stdout.readline().strip() != b"ready":
        raise SystemExit("moto did not start")
    return child, f"http://127.0.0.1:{port}"


async def write_cloudwatch(clients: AwsClients, total: int, start_ms: int) -> None:
    logs = await clients.logs()
    rng = random.Random(7)
    stream = "bench"
    await logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    for first in range(0, total, PUT_BATCH):
        count = min(PUT_BATCH, total - first)
        events = [
            {
                "timestamp": stamp(start_ms, i, total),
                "message": consumer_record(rng, stamp(start_ms, i, total)),
            }
            for i in range(first, first + count)
        ]
        await logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)
        await asyncio.sleep(0.05)


async def write_file(path: Path, total: int, start_ms: int) -> None:
    rng = random.Random(7)
    with path.open("a", encoding="utf-8") as f:
        for first in range(0, total, PUT_BATCH):
            count = min(PUT_BATCH, total - first)
            f.write(
                "".join(
                    consumer_record(rng, start_ms + i) + "\n" for i in range(first, first + count)
                )
            )
            f.flush()
            await asyncio.sleep(0.01)


async def consume(tail: LogTail, total: int, buffer_lines: int) -> list[tuple[int, float]]:
    buffer = LineBuffer(buffer_lines)
    stats = LatencyStats(window_s=60, history=300)
    readings = [(0, rss_mb())]
    print(f"{'lines':>8}  {'RSS MB':>7}  {'buffer':>6}  {'samples':>7}", flush=True)
    print(f"{0:>8}  {readings[0][1]:7.1f}  {0:>6}  {0:>7}", flush=True)
    marks = [total * k // 4 for k in range(1, 5)]  # 25k, 50k, 75k, 100k by default
    async for batch in tail:
        for notice in batch.notices:
            print(f"  notice: {notice.source}: {notice.kind}: {notice.message}", flush=True)
        buffer.extend(batch.lines)
        stats.add_many(batch.lines)
        stats.tick(time.time())
        while marks and buffer.total >= marks[0]:
            reading = (marks.pop(0), rss_mb())
            readings.append(reading)
            print(
                f"{reading[0]:>8}  {reading[1]:7.1f}  {len(buffer):>6}  {stats.sample_count:>7}",
                flush=True,
            )
        if buffer.total >= total:
            break
    return readings


async def bench(args: argparse.Namespace) -> list[tuple[int, float]]:
    # The lines span the last 40 s: every one lands in the latency window (its worst case).
    start_ms = int(time.time() * 1000) - 40_000
    settings = LogsSettings(poll_interval=0.2, overlap_s=5)
    if args.source == "file":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "worker.jsonl"
            path.touch()
            tail = build_tail(TailTargets(file=str(path)), clients=None, logs=settings, start_ms=0)
            async with tail:
                writer = asyncio.create_task(write_file(path, args.lines, start_ms))
                readings = await consume(tail, args.lines, args.buffer)
                await writer
            return readings

    child, endpoint = start_moto()
    target = AwsTarget(region="us-east-1", endpoint_url=endpoint, credentials=FAKE_CREDENTIALS)
    clients = AwsClients(target)
    try:
        await (await clients.logs()).create_log_group(logGroupName=GROUP)
        tail = build_tail(
            TailTargets(groups=(GROUP,)), clients=clients, logs=settings, start_ms=start_ms
        )
        async with tail:
            writer = asyncio.create_task(write_cloudwatch(clients, args.lines, start_ms))
            readings = await consume(tail, args.lines, args.buffer)
            await writer
        return readings
    finally:
        await clients.aclose()
        child.kill()
        child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--buffer", type=int, default=10_000, help="LineBuffer size")
    parser.add_argument("--source", choices=("cloudwatch", "file"), default="cloudwatch")
    parser.add_argument("--max-growth-mb", type=float, default=20.0)
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    started = time.perf_counter()
    readings = asyncio.run(bench(args))
    elapsed = time.perf_counter() - started
    by_count = dict(readings)
    peak = max(mb for _, mb in readings)
    growth = by_count[args.lines] - by_count[args.lines // 2]
    ok = peak <= BUDGET_MB and growth <= args.max_growth_mb
    print(
        f"source={args.source} lines={args.lines} buffer={args.buffer} "
        f"peak RSS {peak:.1f} MB (budget {BUDGET_MB:.0f}), growth over the second half "
        f"{growth:+.1f} MB, "
        f"{elapsed:.1f} s: {'OK' if ok else 'OVER BUDGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
