"""Where the console's start-up time goes, phase by phase (headless, embedded stack).

``console_bench.py`` measures what the operator sees (launch → first numbers in a real
terminal); this splits the same path into the phases worth working on:

    uv run python benchmarks/startup_phases.py [--runs 3]

Each run is a fresh interpreter (imports are part of the cost), so run it with warm bytecode.
Phases: importing the CLI, config, runtime and TUI; starting the embedded stack; the app from
construction to mounted; mounted to the first snapshot with numbers; that snapshot painted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PHASES = ("imports", "stack", "mount", "first poll", "paint")

PROBE = r"""
import time
t0 = time.perf_counter()
import asyncio
from edgewatch.config import load_settings
from edgewatch.runtime import Runtime
from edgewatch.tui.app import EdgewatchApp
import edgewatch.cli  # noqa: F401
t1 = time.perf_counter()
settings, source = load_settings(None, {})
runtime = Runtime.start(settings, source, embedded=True, seed=None)
t2 = time.perf_counter()
marks = {}
apply = EdgewatchApp.apply_snapshot


def first_numbers(self, snapshot, *args, **kwargs):
    if "first" not in marks and any(q.visible is not None for q in snapshot.queues):
        marks["first"] = time.perf_counter()
    return apply(self, snapshot, *args, **kwargs)


EdgewatchApp.apply_snapshot = first_numbers
app = EdgewatchApp(runtime)


async def run():
    async with app.run_test(size=(120, 36)) as pilot:
        marks["mounted"] = time.perf_counter()
        while "first" not in marks:
            await asyncio.sleep(0.005)
        await pilot.pause()
        marks["painted"] = time.perf_counter()


asyncio.run(run())
runtime.stop_stack()
print(t1 - t0, t2 - t1, marks["mounted"] - t2, marks["first"] - marks["mounted"],
      marks["painted"] - marks["first"])
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
        ).stdout
        runs.append([float(v) for v in out.split()[-len(PHASES) :]])
    print(f"start-up phases, median of {args.runs} fresh interpreters (seconds)")
    for i, phase in enumerate(PHASES):
        print(f"{phase:>11}  {statistics.median(r[i] for r in runs):.3f}")
    print(f"{'total':>11}  {statistics.median(sum(r) for r in runs):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
