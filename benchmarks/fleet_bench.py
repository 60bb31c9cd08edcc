"""Fleet budgets, headless: 1,000 queues in two simulated regions, defaults, a counting proxy.

    uv run python benchmarks/fleet_bench.py --queues 1000 --seconds 120 --naive-seconds 30

Three processes, so that each one's work is counted where it belongs: ``edgewatch demo --fleet N``
(moto + the fleet's traffic and metrics), ``benchmarks/counting_proxy.py`` in front of it, and
this script running the fleet engine exactly as the commands do (``FleetPoller`` with default
settings, 30 queues "on screen", forecasts and alert rules evaluated on every snapshot).

Measured, in the same run: stack up (launch to endpoint printed); first full data (every fleet
row has numbers) after the stack is up; the engine's CPU (process time / wall time) and RSS;
API calls per minute over the last full minute; then the naive design — ``GetQueueAttributes``
for every queue every second (one ``QueuePoller`` per region) — for ``--naive-seconds``, whose
calls/min are what moto managed to serve (its demand is queues x 60).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from proxy_client import busiest_minute, counts, reset, spawn

from edgewatch.alerts.engine import AlertEngine
from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet.poller import FleetPoller
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.poller import QueuePoller
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("us-east-1", "eu-west-1")


def clients(proxy: str, region: str) -> AwsClients:
    return AwsClients(AwsTarget(region, proxy, credentials=FAKE_CREDENTIALS))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def ours(proxy: str, seconds: float, stack_up_at: float) -> dict[str, object]:
    pairs = [(FleetSource(region=r, endpoint_url=proxy), clients(proxy, r)) for r in REGIONS]
    settings = Settings(fleet={"sources": [{"region": r} for r in REGIONS]})
    poller = FleetPoller(pairs, settings)
    book, engine = ForecastBook(settings.forecast), AlertEngine(settings.alerts)
    first_full: float | None = None
    polls = 0
    cpu0, wall0 = time.process_time(), time.monotonic()

    async def on_snapshot(snap) -> None:
        nonlocal first_full, polls
        polls += 1
        engine.evaluate(snap, book.update(snap))
        if polls == 1:
            poller.focus([q.url for q in snap.queues[:30] if q.url])  # one screen
        if first_full is None and snap.queues and all(q.visible is not None for q in snap.queues):
            first_full = time.monotonic() - stack_up_at

    task = asyncio.create_task(poller.run(on_snapshot))
    samples: list[tuple[float, int]] = []  # (time, calls so far): the busiest minute of the run

    async def sample() -> None:
        while True:
            seen = await asyncio.to_thread(counts, proxy)
            samples.append((time.monotonic(), sum(seen.values())))
            await asyncio.sleep(2)

    reset(proxy)
    sampler = asyncio.create_task(sample())
    await asyncio.sleep(max(0.0, seconds - 60))
    sampler.cancel()
    busiest = busiest_minute(samples)
    reset(proxy)
    minute0 = time.monotonic()
    await asyncio.sleep(60)
    last_minute = counts(proxy)
    elapsed = time.monotonic() - minute0
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    estimate = poller.estimate()
    queues = poller.queue_count
    for _, c in pairs:
        await c.aclose()
    return {
        "queues": queues,
        "first_full_data_s": None if first_full is None else round(first_full, 2),
        "polls": polls,
        "cpu_percent": round(100 * cpu, 1),
        "rss_mb": round(rss_mb(), 1),
        "calls_last_minute": {k: round(v * 60 / elapsed) for k, v in last_minute.items()},
        "calls_per_min": round(sum(last_minute.values()) * 60 / elapsed),
        "busiest_minute_before_that": busiest,
        "estimate": estimate.to_json(),
    }


async def naive(proxy: str, seconds: float) -> dict[str, object]:
    reset(proxy)
    settings = Settings(poll_interval=1.0, forecast={"counts": False})
    made = [clients(proxy, r) for r in REGIONS]
    pollers = [QueuePoller(c, settings) for c in made]
    tasks = [asyncio.create_task(p.run(lambda s: None)) for p in pollers]
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    seen = counts(proxy)
    elapsed = time.monotonic() - t0
    queues = sum(len(p.last.queues) if p.last else 0 for p in pollers)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for c in made:
        await c.aclose()
    return {
        "queues": queues,
        "calls_per_min_served": round(sum(seen.values()) * 60 / elapsed),
        "get_queue_attributes_per_min_served": round(
            seen.get("GetQueueAttributes", 0) * 60 / elapsed
        ),
        "calls_per_min_demanded": queues * 60,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120, help="ours: >= 60 (last minute)")
    parser.add_argument("--naive-seconds", type=float, default=30)
    args = parser.parse_args()
    env_cmd = [sys.executable, "-m", "edgewatch", "demo", "--fleet", str(args.queues)]
    launched = time.monotonic()
    demo, endpoint = spawn([*env_cmd, "--seed", "1"], "endpoint_url")
    # describe() prints the endpoint once the fleet exists and its first metrics are published.
    stack_up = time.monotonic()
    proxy_proc, proxy = spawn(
        [sys.executable, str(ROOT / "benchmarks/counting_proxy.py"), endpoint], "proxy_url"
    )
    try:
        result = {
            "stack_up_s": round(stack_up - launched, 2),
            "ours": asyncio.run(ours(proxy, max(60.0, args.seconds), stack_up)),
            "naive": asyncio.run(naive(proxy, args.naive_seconds)),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        for proc in (proxy_proc, demo):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
