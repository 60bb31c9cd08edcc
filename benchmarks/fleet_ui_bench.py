"""Sort and filter keystrokes on a 1,000-queue fleet dashboard: the time until the screen is
repainted, in a real Textual app (headless, 120x36), with fixed data.

    uv run python benchmarks/fleet_ui_bench.py --queues 1000 --rounds 20

Each round presses a key and waits until the app is idle again (Pilot's ``press`` + ``pause``:
the key's handler, the re-arrangement of every row, the table's changed rows and the paint).
Reports the median and worst of ``o`` (next sort key), of typing one filter character, and of
``g`` (group), plus the RSS of the process at the end; ``noop`` (an unbound key) is what Pilot
itself costs per press, so a key's own repaint is its figure minus that one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgewatch.metrics.models import MetricsSnapshot
from tests.support.tui_fleet import fleet_app, fleet_queue


async def run(queues: int, rounds: int) -> dict[str, object]:
    from tests.support.tui import NOW

    snap = MetricsSnapshot(
        queues=tuple(fleet_queue(i, visible=(i * 37) % 1500) for i in range(queues)),
        polled_at=NOW,
        connection="ok",
        last_success_at=NOW,
    )
    app = fleet_app()
    timings: dict[str, list[float]] = {"noop": [], "sort": [], "filter_char": [], "group": []}
    async with app.run_test(size=(120, 36)) as pilot:
        t0 = time.perf_counter()
        app.apply_snapshot(snap)
        await pilot.pause()
        first = time.perf_counter() - t0
        for _ in range(rounds):
            t = time.perf_counter()
            await pilot.press("x")  # bound to nothing: Pilot's own floor for press + pause
            await pilot.pause()
            timings["noop"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await pilot.press("o")
            await pilot.pause()
            timings["sort"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await pilot.press("g")
            await pilot.pause()
            timings["group"].append(time.perf_counter() - t)
        await pilot.press("slash")
        for ch in "use1-q0" * (rounds // 7 + 1):
            t = time.perf_counter()
            await pilot.press(ch)
            await pilot.pause()
            timings["filter_char"].append(time.perf_counter() - t)
    out: dict[str, object] = {"queues": queues, "first_paint_ms": round(first * 1000, 1)}
    for key, values in timings.items():
        ms = sorted(v * 1000 for v in values)
        out[key] = {"median_ms": round(statistics.median(ms), 1), "max_ms": round(ms[-1], 1)}
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.queues, args.rounds)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
