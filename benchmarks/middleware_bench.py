"""The middlewares under real servers, with the load generator in another process.

    uv run python benchmarks/middleware_bench.py            # ~12 minutes
    uv run python benchmarks/middleware_bench.py --quick    # a smoke run
    uv run python benchmarks/middleware_bench.py --only asgi,fastapi --rounds 7

Sections (``--only``, comma-separated; all by default):

- ``inprocess``: µs per request of each middleware called in-process with a fake
  ``receive``/``send`` (or ``start_response``) and an emitter that discards, against the bare
  app: the middleware's own cost, free of server and network noise.
- ``latency``: request latency (p50/p99) of a uvicorn app whose handler takes 10 ms, against a
  sink that answers after 100 ms: a handler that awaits one signed ``SendMessage`` per request
  (``await send(event)``) versus the ASGI middleware's fire-and-forget emitter.
- ``asgi``, ``fastapi``, ``fastapi-cpu``, ``wsgi``, ``flask``: overhead on a saturated server
  (uvicorn, one process; gunicorn, one sync worker), a bare app, a framework app and (``-cpu``)
  the framework app with 1 ms of CPU work per request: requests/s and server CPU per request
  with no middleware, the middleware with a discarding emitter, and the middleware with the
  real emitter, in alternating rounds (a fresh server each time), medians.
  The sink answers at once and counts every message: in the "with" rounds every request the
  server answered (warm-up included) must be an event at the sink, or the table says so.
  ``--baseline-python`` adds the middleware rows of another install (old versus new in the
  same run, same rounds); ``--linger-ms`` a row with the emitter's ``linger_ms`` changed.
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
def server(
    kind: str,
    mode: str,
    sink_url: str,
    work_ms: float,
    app: str = "bare",
    python: str = sys.executable,
    linger_ms: float | None = None,
) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "EDGEWATCH_BENCH_LINGER_MS": str(linger_ms or 25),
        "EDGEWATCH_BENCH_APP": app,
        "EDGEWATCH_BENCH_MODE": mode,
        "EDGEWATCH_BENCH_SINK": sink_url,
        "EDGEWATCH_BENCH_WORK_MS": str(work_ms),
        "PYTHONPATH": str(ROOT),
    }
    if kind == "asgi":
        command = [
            python,
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
            python,
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


def load(url: str, connections: int, seconds: float, warmup: float = 1.0) -> dict[str, float]:
    command = [sys.executable, str(LOADGEN), "--url", url, "--warmup", str(warmup)]
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
        "#### Request latency, handler 10 ms, sink answers after 100 ms (uvicorn, 8 connections)",
        "",
        "| variant | requests | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ]


MODES = ("plain", "middleware-null", "middleware")
MODE_LABELS = {
    "plain": "without middleware",
    "middleware-null": "middleware, events discarded (its own cost)",
    "middleware": "middleware + emitter, every event sent",
    "middleware-linger": "middleware + emitter with linger_ms={linger:g}, every event sent",
}
APPS = {  # section: (server kind, EDGEWATCH_BENCH_APP, label, connections)
    "asgi": ("asgi", "bare", "raw ASGI callable, uvicorn", 32),
    "fastapi": ("asgi", "fastapi", "FastAPI app, uvicorn", 32),
    "fastapi-cpu": ("asgi", "fastapi-cpu", "FastAPI app, 1 ms of CPU per request, uvicorn", 32),
    "wsgi": ("wsgi", "bare", "plain WSGI callable, gunicorn 1 sync worker", 8),
    "flask": ("wsgi", "flask", "Flask app, gunicorn 1 sync worker", 8),
}
BUDGET_PERCENT = 3.0


def overhead_table(
    section: str,
    rounds: int,
    seconds: float,
    baseline: str | None = None,
    linger_ms: float | None = None,
) -> list[str]:
    """One saturated-server table; with ``baseline`` (another venv's python, e.g. one with the
    previous commit installed) its middleware rows run too, in the same alternating rounds."""
    kind, app_kind, label, connections = APPS[section]
    variants = [("", mode) for mode in MODES]
    if baseline:
        variants[1:1] = [(baseline, mode) for mode in MODES[1:]]
    if linger_ms is not None:
        variants.append(("", "middleware-linger"))
    rates: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    cpu_us: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    delivered = dict.fromkeys(variants, 0)
    answered = dict.fromkeys(variants, 0)
    errors = 0
    with sink() as fast:
        for round_number in range(rounds):
            # Alternate, and turn the order round every other round: no variant always runs first.
            order = variants if round_number % 2 == 0 else list(reversed(variants))
            for variant in order:
                python, mode = variant
                before = sink_messages(fast)
                with server(
                    kind,
                    mode,
                    fast,
                    0,
                    app=app_kind,
                    python=python or sys.executable,
                    linger_ms=linger_ms,
                ) as app:
                    warm = load(app.url, 4, 1.0, warmup=0)  # imports, connections
                    cpu = app.cpu()
                    result = load(app.url, connections=connections, seconds=seconds, warmup=0)
                    time.sleep(0.5)  # the last batches leave: their CPU counts too
                    cpu = app.cpu() - cpu
                # The server has stopped (and drained its emitter) here.
                rates[variant].append(result["rps"])
                cpu_us[variant].append(cpu / result["requests"] * 1e6)
                delivered[variant] += sink_messages(fast) - before
                answered[variant] += int(warm["requests"] + warm["warmup_requests"])
                answered[variant] += int(result["requests"])
                errors += int(warm["errors"] + result["errors"])
    plain_rps = statistics.median(rates[("", "plain")])
    plain_cpu = statistics.median(cpu_us[("", "plain")])
    rows = []
    for variant in variants:
        python, mode = variant
        rps, cpu = statistics.median(rates[variant]), statistics.median(cpu_us[variant])
        if mode == "plain":
            lost = "—"
        else:
            by_rps, by_cpu = (1 - rps / plain_rps) * 100, (1 - plain_cpu / cpu) * 100
            verdict = "yes" if max(by_rps, by_cpu) <= BUDGET_PERCENT else "**no**"
            lost = f"{by_rps:.1f} % / {by_cpu:.1f} % ({verdict})"
        name = MODE_LABELS[mode].format(linger=linger_ms) + (" — baseline" if python else "")
        rows.append(
            f"| {name} | {rps:,.0f} | {cpu:.0f} | {lost} | "
            f"{', '.join(f'{r:,.0f}' for r in rates[variant])} |"
        )
    checks = []
    for variant in variants:
        if variant[1] in ("middleware", "middleware-linger"):
            sent, got = answered[variant], delivered[variant]
            verdict = "all arrived" if sent == got else "**MISMATCH**"
            checks.append(f"{got:,} events for {sent:,} requests answered ({verdict})")
    return [
        f"#### {label} ({connections} connections, {rounds} alternating rounds of {seconds:g} s)",
        "",
        "| variant | requests/s (median) | server CPU µs/request (median) | "
        "lost: by req/s / by CPU (≤ 3 %?) | requests/s per round |",
        "|---|---:|---:|---|---|",
        *rows,
        "",
        f"At the sink, from the rounds with the emitter, warm-ups included: {'; '.join(checks)}; "
        f"{errors} client errors in all.",
    ]


# ------------------------------------------------------------------------------- in-process ---
def inprocess_table(rounds: int, calls: int) -> list[str]:
    """The middleware's own µs per request, in this process (no server, no network)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import web_apps as apps

    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, run in apps.RUNS.items():
            results.setdefault(name, []).append(run(calls))
    med = {name: statistics.median(values) for name, values in results.items()}
    return [
        f"#### In-process, µs per request ({rounds} alternating rounds of {calls:,} calls, "
        "medians)",
        "",
        "| app | bare | with middleware (events discarded) | the middleware's own cost |",
        "|---|---:|---:|---:|",
        f"| ASGI, fake receive/send | {med['asgi-bare']:.2f} | {med['asgi-middleware']:.2f} | "
        f"{med['asgi-middleware'] - med['asgi-bare']:.2f} |",
        f"| WSGI, minimal environ | {med['wsgi-bare']:.2f} | {med['wsgi-middleware']:.2f} | "
        f"{med['wsgi-middleware'] - med['wsgi-bare']:.2f} |",
    ]


SECTIONS = ("inprocess", "latency", "asgi", "fastapi", "fastapi-cpu", "wsgi", "flask")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (5)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per round (5)")
    parser.add_argument(
        "--baseline-python",
        help="also run the middleware rows with this interpreter (a venv with another version "
        "of edgewatch-emitter installed), in the same alternating rounds",
    )
    parser.add_argument(
        "--linger-ms",
        type=float,
        help="add a row: the emitter with this linger_ms instead of the default",
    )
    args = parser.parse_args()
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {CLIENT_CPU})
    seconds, rounds = (2.0, 1) if args.quick else (5.0, 5)
    seconds = args.seconds or seconds
    rounds = args.rounds or rounds
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Run of {started}. Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start.",
        "",
    ]
    for section in sections:
        if section == "inprocess":
            lines += inprocess_table(rounds, 20_000 if args.quick else 100_000)
        elif section == "latency":
            lines += latency_table(seconds)
        else:
            lines += overhead_table(
                section, rounds, seconds, args.baseline_python, args.linger_ms
            )
        lines += [""]
        print(f"[{section} done, load average {os.getloadavg()[0]:.2f}]", file=sys.stderr)
    lines.append(f"Load average at the end: {os.getloadavg()[0]:.2f}.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
