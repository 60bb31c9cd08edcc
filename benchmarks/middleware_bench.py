"""The middlewares under real servers, with the load generator in another process.

    uv run python benchmarks/middleware_bench.py            # ~2 minutes
    uv run python benchmarks/middleware_bench.py --quick    # a smoke run

1. Request latency (p50/p99) of a uvicorn app whose handler takes 10 ms, against a sink that
   answers after 100 ms: a handler that awaits one signed ``SendMessage`` per request
   (``await send(event)``) versus the ASGI middleware's fire-and-forget emitter.
2. Middleware overhead on a saturated server: requests/s of a trivial app with and without the
   middleware, in alternating rounds of the same run (uvicorn for ASGI; gunicorn, one sync
   worker, for WSGI), against a sink answering at once. The sink's count checks every request
   became an event.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from emitter_bench import sink, sink_messages

ROOT = Path(__file__).resolve().parents[1]
# The server under test on CPU 0; the load generator and the sink share CPU 1 (this process
# pins itself there, and the sink it starts inherits that).
SERVER_CPU, CLIENT_CPU = 0, 1
LOADGEN = Path(__file__).with_name("loadgen.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("server did not start listening")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children still running (gunicorn's worker)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Server:
    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


@contextlib.contextmanager
def server(kind: str, mode: str, sink_url: str, work_ms: float) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "EDGEWATCH_BENCH_MODE": mode,
        "EDGEWATCH_BENCH_SINK": sink_url,
        "EDGEWATCH_BENCH_WORK_MS": str(work_ms),
        "PYTHONPATH": str(ROOT),
    }
    if kind == "asgi":
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "benchmarks.web_apps:asgi_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "benchmarks.web_apps:wsgi_app()",
        ]
    process = subprocess.Popen(pinned(SERVER_CPU, command), cwd=ROOT, env=env)
    try:
        wait_listening(port, process)
        yield Server(f"http://127.0.0.1:{port}/items/1", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    """Run ``command`` on one CPU (taskset), so that the server has a core to itself."""
    if cpu is None or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", str(cpu), *command]


def load(url: str, connections: int, seconds: float) -> dict[str, float]:
    command = [sys.executable, str(LOADGEN), "--url", url]
    command += ["--connections", str(connections), "--seconds", str(seconds)]
    done = subprocess.run(pinned(CLIENT_CPU, command), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def latency_table(seconds: float) -> list[str]:
    rows = []
    with sink(delay_ms=100) as slow:
        for mode, label in (
            ("blocking", "`await send(event)` in the handler"),
            ("middleware", "middleware, fire-and-forget"),
        ):
            with server("asgi", mode, slow, work_ms=10) as app:
                result = load(app.url, connections=8, seconds=seconds)
            rows.append(
                f"| {label} | {result['requests']:,} | {result['p50_ms']:.1f} | "
                f"{result['p99_ms']:.1f} | {result['errors']} |"
            )
    return [
        "### Request latency, handler 10 ms, sink answers after 100 ms (uvicorn, 8 connections)",
        "",
        "| variant | requests | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ]


def overhead_table(kind: str, rounds: int, seconds: float, connections: int) -> list[str]:
    modes = (
        ("plain", "middleware-null", "middleware") if kind == "asgi" else ("plain", "middleware")
    )
    rates: dict[str, list[float]] = {mode: [] for mode in modes}
    cpu_us: dict[str, list[float]] = {mode: [] for mode in modes}
    delivered = sent = 0
    with sink() as fast:
        for _ in range(rounds):
            for mode in modes:
                before = sink_messages(fast)
                with server(kind, mode, fast, work_ms=0) as app:
                    load(app.url, connections=4, seconds=1.0)  # warm up (imports, connections)
                    cpu = app.cpu()
                    result = load(app.url, connections=connections, seconds=seconds)
                    time.sleep(0.5)  # let the last batches leave before the server stops
                    cpu = app.cpu() - cpu
                rates[mode].append(result["rps"])
                cpu_us[mode].append(cpu / result["requests"] * 1e6)
                if mode == "middleware":
                    delivered += sink_messages(fast) - before
                    sent += result["requests"]
    plain, instrumented = (statistics.median(rates[m]) for m in ("plain", "middleware"))
    lost = (1 - instrumented / plain) * 100
    cpu_plain, cpu_mw = (statistics.median(cpu_us[m]) for m in ("plain", "middleware"))
    cpu_lost = (1 - cpu_plain / cpu_mw) * 100
    server_name = "uvicorn" if kind == "asgi" else "gunicorn, 1 sync worker"
    return [
        f"### {kind.upper()} middleware overhead, saturated {server_name} "
        f"({connections} connections, {rounds} alternating rounds of {seconds:g} s)",
        "",
        "| app | requests/s (median) | server CPU µs per request (median) | requests/s per round |",
        "|---|---:|---:|---|",
        f"| without middleware | {plain:,.0f} | {cpu_plain:.0f} | "
        f"{', '.join(f'{r:,.0f}' for r in rates['plain'])} |",
        *(
            [
                f"| middleware, events discarded (its own cost) | "
                f"{statistics.median(rates['middleware-null']):,.0f} | "
                f"{statistics.median(cpu_us['middleware-null']):.0f} | "
                f"{', '.join(f'{r:,.0f}' for r in rates['middleware-null'])} |"
            ]
            if "middleware-null" in rates
            else []
        ),
        f"| with middleware | {instrumented:,.0f} | {cpu_mw:.0f} | "
        f"{', '.join(f'{r:,.0f}' for r in rates['middleware'])} |",
        "",
        f"Lost: **{lost:.1f} %** of requests/s; by server CPU per request (what a saturated "
        f"server loses, less sensitive to other load on the machine): **{cpu_lost:.1f} %** "
        f"(budget ≤ 3 %). Events at the sink: {delivered:,} for {sent:,} measured requests "
        "(plus the warm-up's).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {CLIENT_CPU})
    seconds, rounds = (2.0, 1) if args.quick else (5.0, 3)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start.",
        "",
    ]
    lines += [*latency_table(seconds), ""]
    lines += [*overhead_table("asgi", rounds, seconds, connections=32), ""]
    lines += overhead_table("wsgi", rounds, seconds, connections=8)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
