"""Measure the console's budgets as an operator meets them, in a real terminal (tmux).

1. ``uv run edgewatch`` (embedded stack, warm cache) to the first live numbers on screen.
2. Idle CPU of the console process at a 1 s poll with 10 queues (the queues are served by an
   ``edgewatch demo`` in a *separate* process, so moto's work is not counted as the console's).
3. The console's RSS after that run.

Usage: ``uv run python benchmarks/console_bench.py [--idle-seconds 60] [--runs 5]``.
Needs tmux. Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
SESSION = f"edgewatch-bench-{os.getpid()}"  # several benches may share a machine
CLK_TCK = os.sysconf("SC_CLK_TCK")
# A table row for the queue with a number in it: the first live numbers.
FIRST_NUMBERS = re.compile(r"edge-analytics\S*\s+[│|]?\s*\d")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def kill_session() -> None:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def start(
    command: str, env: dict[str, str] | None = None, size: tuple[int, int] = (120, 36)
) -> float:
    kill_session()
    # Warm cache means bytecode too: a shell that sets PYTHONDONTWRITEBYTECODE never has one.
    exports = "env -u PYTHONDONTWRITEBYTECODE " + " ".join(
        f"{k}={v}" for k, v in (env or {}).items()
    )
    t0 = time.perf_counter()
    tmux(
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        str(size[0]),
        "-y",
        str(size[1]),
        "-c",
        str(ROOT),
        f"{exports} {command}".strip(),
    )
    return t0


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(pattern: re.Pattern[str], timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if pattern.search(screen()):
            return time.perf_counter()
        time.sleep(0.02)
    raise TimeoutError(f"pattern {pattern.pattern!r} not on screen:\n{screen()}")


def console_pid() -> int:
    """The process running edgewatch inside the tmux pane (a descendant of the pane's uv)."""
    pane = int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, grew = {pane}, True
    while grew:
        new = {pid for pid, ppid in parents.items() if ppid in family} - family
        family |= new
        grew = bool(new)
    for pid in sorted(family - {pane}):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"edgewatch" in cmd and b"python" in Path(f"/proc/{pid}/exe").resolve().name.encode():
            return pid
    raise RuntimeError("edgewatch process not found")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure_console(idle_seconds: float) -> tuple[float, float]:
    """CPU (% of one core) over ``idle_seconds`` and RSS (MB) of the console in the pane."""
    pid = console_pid()
    time.sleep(5)  # past start-up work
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(idle_seconds)
    c1, t1 = cpu_seconds(pid), time.perf_counter()
    return 100 * (c1 - c0) / (t1 - t0), rss_mb(pid)


def quit_console() -> None:
    tmux("send-keys", "-t", SESSION, "q")
    time.sleep(1.0)


def bench_startup(runs: int) -> list[float]:
    times = []
    warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(  # warm uv's cache and write the bytecode of everything the console imports
        ["uv", "run", "python", "-c", "import edgewatch.tui.app, edgewatch.simulator.stack"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=warm_env,
    )
    for _ in range(runs):
        t0 = start("uv run edgewatch")
        times.append(wait_for(FIRST_NUMBERS, timeout=30) - t0)
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(1.0)
        kill_session()
    return times


QUIET_SERVER = (
    "import signal, sys; from edgewatch.simulator.moto_server import MotoServer; "
    "s = MotoServer(int(sys.argv[1])); print(s.start(), flush=True); signal.pause()"
)


def bench_idle(idle_seconds: float, *, live: bool) -> tuple[float, float, int]:
    """CPU% and RSS of the console watching 10 queues at a 1 s poll, served by another process.

    ``live``: the demo stack (4 queues with traffic, 6 quiet), else a bare moto with 10 quiet
    queues — the console with nothing changing on screen.
    """
    port = 4600 + os.getpid() % 300 + (1 if live else 0)
    server_cmd = (
        ["uv", "run", "edgewatch", "demo", "--port", str(port)]
        if live
        else ["uv", "run", "python", "-c", QUIET_SERVER, str(port)]
    )
    server = subprocess.Popen(
        server_cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip().split("=", 1)[-1]
        sqs = boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        existing = sqs.list_queues().get("QueueUrls", [])
        for i in range(10 - len(existing)):
            sqs.create_queue(QueueName=f"edge-analytics-bench-{i}")
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        start(
            f"uv run edgewatch --endpoint-url {endpoint} --region us-east-1 --poll-interval 1", env
        )
        wait_for(FIRST_NUMBERS, timeout=30)
        cpu, rss = measure_console(idle_seconds)
        queues = len(sqs.list_queues().get("QueueUrls", []))
        quit_console()
        return cpu, rss, queues
    finally:
        kill_session()
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 2
    times = bench_startup(args.runs)
    quiet_cpu, quiet_rss, quiet_n = bench_idle(args.idle_seconds, live=False)
    live_cpu, live_rss, live_n = bench_idle(args.idle_seconds, live=True)
    secs = f"{args.idle_seconds:.0f} s"
    print("| what | measured | budget |")
    print("|---|---|---|")
    print(
        f"| `uv run edgewatch` to first live numbers (warm, {args.runs} runs) | "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s | ≤ 3 s |"
    )
    print(
        f"| console idle CPU, 1 s poll, {quiet_n} quiet queues, {secs} | "
        f"{quiet_cpu:.1f} % of one core | ≤ 5 % |"
    )
    print(
        f"| console CPU, 1 s poll, {live_n} queues, 4 with live traffic, {secs} | "
        f"{live_cpu:.1f} % of one core | (≤ 5 %) |"
    )
    print(f"| console RSS after each run | {quiet_rss:.0f} / {live_rss:.0f} MB | ≤ 200 MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
