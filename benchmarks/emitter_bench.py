"""Measure the emitter against its budgets in one run, and print a markdown table.

    uv run python benchmarks/emitter_bench.py            # ~1-2 minutes on 2 cores
    uv run python benchmarks/emitter_bench.py --quick    # a smoke run, figures not meaningful

1. ``emit()`` latency (p50 / p99 / max, µs, each call timed with ``perf_counter_ns``) while the
   sender works in the background, with the endpoint healthy, slow (every answer after 500 ms)
   and down (connection refused). The events are the ASGI middleware's shape. The caller emits
   bursts of 20 and pauses 1 ms (the sender runs then); the first call after each pause runs
   with caches the sender has cooled, as every call does in a service that does real work
   between two events, so its figures are given apart too ("cold"). GC stays on.
2. Throughput to a minimal SQS JSON sink running in a separate process (``sqs_sink.py``): the
   emitter, a boto3 ``send_message_batch`` loop, aiobotocore with as many concurrent batch calls
   as the emitter keeps in flight, and the emitter routed through a stock ``httpx.AsyncClient``
   (httpcore) for comparison. The sink counts what it accepted; every run is checked complete.
   The emitter's events come from a pool of 2,000 built before the clock starts, so the CPU
   per event is the sending path's (from ``emit()`` to the acknowledgement), not the caller's
   cost of building a dict (~0.7 µs more on the reference machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from edgewatch_emitter import Emitter

from edgewatch.simulator.moto_server import free_port

SINK = Path(__file__).with_name("sqs_sink.py")
CREDENTIALS = ("AKIDBENCHMARK", "benchmark-secret-key")
REGION = "us-east-1"
QUEUE_PATH = "/123456789012/bench-events"
IN_FLIGHT = 8
BURST = 20  # emits between two 1 ms pauses of the caller: ≤ 20,000 calls/s
EMIT_P99_BUDGET_US = 2.0
CPU_PER_EVENT_BUDGET_US = 10.0
THROUGHPUT_BUDGET = 20_000
RATIO_BUDGET = 3.0


def event(i: int) -> dict[str, Any]:
    """An event shaped like the ASGI middleware's."""
    return {
        "type": "http_request",
        "request_id": f"{i:032x}",
        "service": "edge-api",
        "method": "GET",
        "path": f"/items/{i % 1000}",
        "route": "/items/{item_id}",
        "status": 200,
        "country": "DE",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "request_bytes": 0,
        "response_bytes": 512,
        "elapsed_ms": 12.5,
        "started_at": 1_790_000_000.0 + i,
        "emitted_at": 1_790_000_000.0125 + i,
    }


@contextmanager
def sink(delay_ms: float = 0.0) -> Iterator[str]:
    """Run the sink in its own process; yields its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, str(SINK), "--delay-ms", str(delay_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("LISTENING"):
            raise RuntimeError(f"sink did not start: {line!r}")
        yield f"http://127.0.0.1:{line.split()[1]}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def sink_messages(endpoint: str) -> int:
    with urllib.request.urlopen(f"{endpoint}/stats", timeout=10) as answer:
        return int(json.load(answer)["messages"])


# ---------------------------------------------------------------------------------- latency ---
@dataclass
class LatencyRow:
    state: str
    calls: int
    rate: float
    p50_us: float
    p99_us: float
    max_us: float
    dropped: int
    sent: int
    cold_p50_us: float
    cold_p99_us: float


def percentile(sorted_values: list[int], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))] / 1000


async def measure_emit(state: str, endpoint: str, calls: int) -> LatencyRow:
    emitter = Emitter(
        f"{endpoint}{QUEUE_PATH}",
        credentials=CREDENTIALS,
        region=REGION,
        max_in_flight=IN_FLIGHT,
        request_timeout_s=2.0,
        max_message_bytes=1_048_576,
    )
    emitter.start()
    events = [event(i) for i in range(2_000)]
    for e in events[:1000]:  # warm up caches and the sender
        emitter.emit(e)
    await asyncio.sleep(0.2)
    samples = array("q", bytes(8 * calls))
    clock = time.perf_counter_ns
    emit = emitter.emit
    started = time.perf_counter()
    for i in range(calls):
        e = events[i % 2_000]
        t0 = clock()
        emit(e)
        samples[i] = clock() - t0
        if i % BURST == BURST - 1:  # a service handling requests: the sender runs in between
            await asyncio.sleep(0.001)
    rate = calls / (time.perf_counter() - started)
    stats = emitter.stats()
    await emitter.aclose(timeout=1.0)
    ordered = sorted(samples)
    cold = sorted(samples[BURST::BURST])  # the first call after each pause
    return LatencyRow(
        state,
        calls,
        rate,
        percentile(ordered, 0.50),
        percentile(ordered, 0.99),
        ordered[-1] / 1000,
        stats.dropped,
        stats.sent,
        percentile(cold, 0.50),
        percentile(cold, 0.99),
    )


def timer_overhead_us(calls: int = 100_000) -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(calls):
        t0 = clock()
        samples.append(clock() - t0)
    samples.sort()
    return samples[len(samples) // 2] / 1000


# ------------------------------------------------------------------------------- throughput ---
@dataclass
class ThroughputRow:
    client: str
    events: int
    seconds: float
    cpu_seconds: float  # this process only (the sink runs in another one)
    delivered: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Events per CPU-second: the rate with a core to itself, whatever else the box runs."""
        return self.events / self.cpu_seconds


async def emitter_throughput(endpoint: str, total: int, stock_httpx: bool = False) -> ThroughputRow:
    client = (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT)) if stock_httpx else None
    )
    emitter = Emitter(
        f"{endpoint}{QUEUE_PATH}",
        credentials=CREDENTIALS,
        region=REGION,
        max_in_flight=IN_FLIGHT,
        max_message_bytes=1_048_576,
        http_client=client,
    )
    before = sink_messages(endpoint)
    emitter.start()
    events = [event(i) for i in range(2_000)]  # the caller's work, not the sending path's
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(total):
        emitter.emit(events[i % 2_000])
        if i % 500 == 499:
            await asyncio.sleep(0)
            while emitter.buffered > 5_000:  # a producer that never overflows the buffer
                await asyncio.sleep(0.0005)
    result = await emitter.flush(120)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await emitter.aclose()
    if client is not None:
        await client.aclose()
    assert result.complete and result.stats.dropped == 0, result
    label = "edgewatch Emitter, stock httpx.AsyncClient" if stock_httpx else "edgewatch Emitter"
    return ThroughputRow(label, total, elapsed, cpu, sink_messages(endpoint) - before)


def entries_for(start: int) -> list[dict[str, str]]:
    return [
        {"Id": str(k), "MessageBody": json.dumps(event(start + k), separators=(",", ":"))}
        for k in range(10)
    ]


def boto3_throughput(endpoint: str, total: int) -> ThroughputRow:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS[0],
        aws_secret_access_key=CREDENTIALS[1],
        config=Config(retries={"total_max_attempts": 1}),
    )
    queue_url = f"{endpoint}{QUEUE_PATH}"
    client.send_message_batch(QueueUrl=queue_url, Entries=entries_for(0))  # warm up
    before = sink_messages(endpoint)
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, total, 10):
        client.send_message_batch(QueueUrl=queue_url, Entries=entries_for(start))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    delivered = sink_messages(endpoint) - before
    return ThroughputRow("boto3 send_message_batch loop", total, elapsed, cpu, delivered)


async def aiobotocore_throughput(endpoint: str, total: int) -> ThroughputRow:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    config = AioConfig(retries={"total_max_attempts": 1}, max_pool_connections=IN_FLIGHT)
    queue_url = f"{endpoint}{QUEUE_PATH}"
    async with AioSession().create_client(
        "sqs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS[0],
        aws_secret_access_key=CREDENTIALS[1],
        config=config,
    ) as client:
        await client.send_message_batch(QueueUrl=queue_url, Entries=entries_for(0))
        before = sink_messages(endpoint)
        starts = iter(range(0, total, 10))

        async def worker() -> None:
            for start in starts:
                await client.send_message_batch(QueueUrl=queue_url, Entries=entries_for(start))

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    label = f"aiobotocore, {IN_FLIGHT} concurrent batch calls"
    return ThroughputRow(label, total, elapsed, cpu, sink_messages(endpoint) - before)


# ----------------------------------------------------------------------------------- report ---
def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def report(latency: list[LatencyRow], overhead_us: float, rows: list[ThroughputRow]) -> str:
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} "
        "(1 min) at the end.",
        "",
        f"### `emit()` on the caller's path (budget: p99 ≤ {EMIT_P99_BUDGET_US:g} µs)",
        "",
        "| endpoint | calls | calls/s | p50 µs | p99 µs | max µs | cold p50 µs | cold p99 µs "
        "| sent | dropped (counted) | p99 budget |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in latency:
        lines.append(
            f"| {r.state} | {r.calls:,} | {r.rate:,.0f} | {r.p50_us:.2f} | {r.p99_us:.2f} | "
            f"{r.max_us:.1f} | {r.cold_p50_us:.2f} | {r.cold_p99_us:.2f} | {r.sent:,} | "
            f"{r.dropped:,} | {verdict(r.p99_us <= EMIT_P99_BUDGET_US)} |"
        )
    lines += [
        "",
        f"Timer overhead (two `perf_counter_ns` calls, median): {overhead_us:.2f} µs, "
        "included above. Cold: the first call after each 1 ms pause of the caller "
        f"({latency[0].calls // BURST:,} calls per row).",
        "",
        f"### Throughput to a loopback SQS JSON sink in another process "
        f"(budget: ≥ {THROUGHPUT_BUDGET:,} events/s and ≥ {RATIO_BUDGET:g}× the boto3 loop)",
        "",
        "| client | events | seconds | events/s | × boto3 loop | CPU s | events per CPU-s "
        "| × boto3 (CPU) | delivered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    boto3_row = next(r for r in rows if r.client.startswith("boto3"))
    baseline, cpu_baseline = boto3_row.rate, boto3_row.cpu_rate
    for r in rows:
        lines.append(
            f"| {r.client} | {r.events:,} | {r.seconds:.2f} | {r.rate:,.0f} | "
            f"{r.rate / baseline:.2f} | {r.cpu_seconds:.2f} | {r.cpu_rate:,.0f} | "
            f"{r.cpu_rate / cpu_baseline:.2f} | {r.delivered:,} |"
        )
    emitter = next(r for r in rows if r.client == "edgewatch Emitter")
    lines += [
        "",
        f"Emitter throughput budget: {verdict(emitter.rate >= THROUGHPUT_BUDGET)} "
        f"{emitter.rate:,.0f} events/s; ratio budget: "
        f"{verdict(emitter.rate / baseline >= RATIO_BUDGET)} {emitter.rate / baseline:.2f}× "
        f"(per CPU-second: {emitter.cpu_rate:,.0f} events, "
        f"{emitter.cpu_rate / cpu_baseline:.2f}× boto3).",
        "",
        f"CPU per event on the sending path: {1e6 / emitter.cpu_rate:.1f} µs "
        f"(budget ≤ {CPU_PER_EVENT_BUDGET_US:g} µs: "
        f"{verdict(1e6 / emitter.cpu_rate <= CPU_PER_EVENT_BUDGET_US)}).",
        "",
        "Wall-clock rates depend on what else the machine runs (see the load average above); "
        "events per CPU-second do not.",
    ]
    return "\n".join(lines)


async def run(quick: bool) -> str:
    calls = 10_000 if quick else 60_000
    total = 10_000 if quick else 150_000
    latency: list[LatencyRow] = []
    with sink() as healthy:
        latency.append(await measure_emit("healthy", healthy, calls))
    with sink(delay_ms=500) as slow:
        latency.append(await measure_emit("slow (500 ms answers)", slow, calls))
    latency.append(
        await measure_emit("down (connection refused)", f"http://127.0.0.1:{free_port()}", calls)
    )
    overhead = timer_overhead_us()
    rows: list[ThroughputRow] = []
    with sink() as endpoint:
        rows.append(await emitter_throughput(endpoint, total))
        rows.append(boto3_throughput(endpoint, total // 5))
        rows.append(await aiobotocore_throughput(endpoint, total // 5))
        rows.append(await emitter_throughput(endpoint, total // 5, stock_httpx=True))
    for row in rows:
        assert row.delivered == row.events, f"{row.client}: {row.delivered} of {row.events}"
    return report(latency, overhead, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    print(asyncio.run(run(args.quick)))


if __name__ == "__main__":
    main()
