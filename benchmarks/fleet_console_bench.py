"""The console on 1,000 queues in two simulated regions, in a real terminal (tmux, 160x48).

    uv run python benchmarks/fleet_console_bench.py --queues 1000 --idle-seconds 120

Three processes besides the console, so that each one's work is counted where it belongs:
``edgewatch demo --fleet N`` (moto, the fleet's traffic and metrics), and
``benchmarks/counting_proxy.py`` in front of it; the console's ``[[fleet.sources]]`` are the two
simulated regions through the proxy. Measured, in one run:

1. **Stack up to a full screen**: the console is started first, while the proxy answers 503
   (no stack yet); the demo is launched; when it prints its endpoint (queues created, first
   metrics published) the proxy starts forwarding — "stack up" — and the clock runs until every
   table row on screen has numbers (at least ``--rows`` of them).
2. **Calls per minute** through the real console at default settings with a full screen of
   rows: what the proxy counted over the last whole minute of ``--idle-seconds``, and the status
   bar's own meter; the console's CPU over that time and its RSS.
3. **Launch to a full screen**: a second console started with the stack already up (this one
   includes ``uv run`` and Python's start-up).

Needs tmux.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_bench import (
    console_pid,
    cpu_seconds,
    kill_session,
    quit_console,
    rss_mb,
    screen,
    start,
)
from proxy_client import busiest_minute, counts, post, spawn

ROOT = Path(__file__).resolve().parents[1]
# A fleet table row: name, account · region, then the Visible cell (a number once read).
ROW = re.compile(r"^ (\S+)(?: DLQ)?\s+\d{12} · [a-z0-9-]+\s+(\S+)", re.M)


def full_screen(rows: int) -> bool:
    """Every fleet row on screen has a number in its Visible column, and there are enough."""
    found = ROW.findall(screen())
    return len(found) >= rows and all(v.replace(",", "").isdigit() for _, v in found)


def wait_full(rows: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if full_screen(rows):
            return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit(f"no full screen:\n{screen()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=120, help=">= 60")
    parser.add_argument("--rows", type=int, default=30, help="rows a 160x48 screen shows")
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--height", type=int, default=48)
    args = parser.parse_args()
    size = (args.width, args.height)
    proxy_proc, proxy = spawn(
        [sys.executable, str(ROOT / "benchmarks/counting_proxy.py"), "-"], "proxy_url"
    )
    demo: subprocess.Popen[str] | None = None
    result: dict[str, object] = {"queues": args.queues, "pane": f"{size[0]}x{size[1]}"}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "fleet.toml"
        config.write_text(
            "".join(
                f'[[fleet.sources]]\nregion = "{r}"\nendpoint_url = "{proxy}"\n'
                for r in ("us-east-1", "eu-west-1")
            )
        )
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "XDG_CONFIG_HOME": tmp,
        }
        command = f"uv run edgewatch --config {config}"
        try:
            # 1. The console first, then the stack: from "stack up" to a full screen.
            start(command, env, size)
            launched = time.perf_counter()
            demo, endpoint = spawn(
                [
                    sys.executable,
                    "-m",
                    "edgewatch",
                    "demo",
                    "--fleet",
                    str(args.queues),
                    "--seed",
                    "1",
                ],
                "endpoint_url",
            )
            post(f"{proxy}/_upstream", endpoint.encode())
            stack_up = time.perf_counter()
            full = wait_full(args.rows, 60)
            result["demo_launch_to_stack_up_s"] = round(stack_up - launched, 2)
            result["stack_up_to_full_screen_s"] = round(full - stack_up, 2)
            # 2. Calls per minute, CPU, RSS at default settings with the screen full.
            pid = console_pid()
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            samples: list[tuple[float, int]] = []  # since the stack is up, every 2 s
            while time.perf_counter() - t0 < max(0.0, args.idle_seconds - 60):
                samples.append((time.perf_counter(), sum(counts(proxy).values())))
                time.sleep(2)
            result["proxy_busiest_minute_since_stack_up"] = busiest_minute(samples)
            post(f"{proxy}/_reset")
            m0 = time.perf_counter()
            meter = []
            while time.perf_counter() - m0 < 60:
                time.sleep(5)
                line = next((ln for ln in screen().splitlines() if "calls/min" in ln), "")
                found = re.search(r"([\d,]+) calls/min", line)
                if found:
                    meter.append(int(found.group(1).replace(",", "")))
            minute = counts(proxy)
            elapsed = time.perf_counter() - m0
            c1, t1 = cpu_seconds(pid), time.perf_counter()
            result["proxy_calls_last_minute"] = {
                k: round(v * 60 / elapsed) for k, v in sorted(minute.items())
            }
            result["proxy_calls_per_min"] = round(sum(minute.values()) * 60 / elapsed)
            result["status_bar_calls_per_min_max"] = max(meter, default=None)
            result["status_line"] = next(
                (ln.strip() for ln in screen().splitlines() if "calls/min" in ln), ""
            )
            result["console_cpu_percent"] = round(100 * (c1 - c0) / (t1 - t0), 1)
            result["console_rss_mb"] = round(rss_mb(pid), 1)
            quit_console()
            kill_session()
            # 3. A second console, the stack already up: launch (uv run, Python) to full screen.
            t_launch = start(command, env, size)
            result["launch_to_full_screen_s"] = round(wait_full(args.rows, 60) - t_launch, 2)
            quit_console()
        finally:
            kill_session()
            for proc in (demo, proxy_proc):
                if proc is not None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
