"""ThreadedEmitter from code with no event loop: plain calls, 8 threads, a fork, atexit."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

from edgewatch_emitter.threaded import ThreadedEmitter

from edgewatch.simulator.moto_server import MotoServer, free_port
from tests.support.sqs import depth

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "emitter_delivery_check.py"


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sync_threads_and_fork_deliver_every_event(moto_server: MotoServer) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--endpoint", moto_server.endpoint_url, "--events", "1000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    reports = {r["mode"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(reports) == {"sync", "threads", "fork"}
    for report in reports.values():  # nothing dropped with the default buffer, nothing doubled
        assert report["sent"] == report["in_queue"] == report["emitted"] == 1000, report


def test_the_books_add_up_when_the_buffer_overflows(moto_server: MotoServer) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--endpoint", moto_server.endpoint_url, "--max-buffer", "7"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for report in map(json.loads, done.stdout.splitlines()):
        assert report["dropped"] > 0 and report["ok"], report
    assert "dropped" in done.stderr  # drops are logged, never silent


def test_flush_is_synchronous(moto_server: MotoServer, boto3_sqs: Any) -> None:
    url = boto3_sqs.create_queue(QueueName="threaded-flush")["QueueUrl"]
    emitter = ThreadedEmitter(url, endpoint_url=moto_server.endpoint_url, linger_ms=60_000)
    try:
        for i in range(25):
            emitter.emit({"i": i})
        result = emitter.flush(20)  # cuts the (huge) linger short
        assert result.complete and result.stats.sent == 25
        assert depth(boto3_sqs, url)[0] == 25
    finally:
        emitter.close()


def test_eight_threads_against_a_down_endpoint_never_raise_and_every_event_is_counted() -> None:
    url = f"http://127.0.0.1:{free_port()}/000000000000/nowhere"
    emitter = ThreadedEmitter(
        url, credentials=("k", "s"), region="us-east-1", max_buffer=100, max_retries=1
    )
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for i in range(200):
                emitter.emit({"i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = emitter.close(0.5)
    stats = result.stats
    assert errors == []
    assert stats.sent == 0 and stats.buffered == 0 and stats.in_flight == 0
    assert stats.failed + stats.dropped == 1600


def test_atexit_flushes_what_was_emitted(moto_server: MotoServer, boto3_sqs: Any) -> None:
    url = boto3_sqs.create_queue(QueueName="threaded-atexit")["QueueUrl"]
    done = run_python(
        f"""
        from edgewatch_emitter.threaded import ThreadedEmitter
        emitter = ThreadedEmitter({url!r}, endpoint_url={moto_server.endpoint_url!r})
        for i in range(50):
            emitter.emit({{"i": i}})
        # no flush, no close: the atexit hook must send them
        """
    )
    assert done.returncode == 0, done.stderr
    assert depth(boto3_sqs, url)[0] == 50


def test_atexit_gives_up_at_its_deadline_and_says_how_many() -> None:
    url = f"http://127.0.0.1:{free_port()}/000000000000/nowhere"
    done = run_python(
        f"""
        import logging
        logging.basicConfig(level=logging.WARNING)
        from edgewatch_emitter.threaded import ThreadedEmitter
        emitter = ThreadedEmitter(
            {url!r}, credentials=("k", "s"), region="us-east-1", max_retries=1000,
            atexit_timeout_s=0.3,
        )
        for i in range(30):
            emitter.emit({{"i": i}})
        """,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "30 events not confirmed before the exit deadline" in done.stderr
