"""The console on 1,000 queues in two simulated regions, in a real terminal (tmux, 120x36).

    uv run python benchmarks/fleet_console_bench.py --queues 1000 --idle-seconds 60

``edgewatch demo --fleet N`` serves the fleet from its own process (moto's work is not the
console's); once it is up, the console is launched in tmux with a config whose
``[[fleet.sources]]`` are the two simulated regions. Measured: launch until the screen is full
of fleet rows with numbers (>= 15 fleet rows), the console's CPU over ``--idle-seconds`` at default
intervals, and its RSS. Needs tmux.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_bench import (
    kill_session,
    measure_console,
    quit_console,
    screen,
    start,
)

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"(use1|euw1)-\S+( DLQ)?\s+\d{12} · \S+\s+\d")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=60)
    args = parser.parse_args()
    launched = time.perf_counter()
    demo = subprocess.Popen(
        [sys.executable, "-m", "edgewatch", "demo", "--fleet", str(args.queues), "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert demo.stdout is not None
    endpoint = ""
    while not endpoint:
        line = demo.stdout.readline()
        if not line:
            raise SystemExit("demo ended")
        if line.startswith("endpoint_url="):
            endpoint = line.strip().split("=", 1)[1]
    stack_up = time.perf_counter() - launched
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "fleet.toml"
        config.write_text(
            "".join(
                f'[[fleet.sources]]\nregion = "{r}"\nendpoint_url = "{endpoint}"\n'
                for r in ("us-east-1", "eu-west-1")
            )
        )
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "XDG_CONFIG_HOME": tmp,
        }
        try:
            t0 = start(f"uv run edgewatch --config {config}", env)
            deadline = t0 + 60
            full = None
            while time.perf_counter() < deadline:
                if len(ROW.findall(screen())) >= 15:
                    full = time.perf_counter() - t0
                    break
                time.sleep(0.02)
            if full is None:
                raise SystemExit(f"no full screen:\n{screen()}")
            cpu, rss = measure_console(args.idle_seconds)
            status_line = screen().splitlines()[0]
            quit_console()
        finally:
            kill_session()
            demo.terminate()
            demo.wait(10)
    print(
        json.dumps(
            {
                "queues": args.queues,
                "demo_stack_up_s": round(stack_up, 2),
                "launch_to_full_screen_s": round(full, 2),
                "console_cpu_percent": round(cpu, 1),
                "console_rss_mb": round(rss, 1),
                "status_line": status_line,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
