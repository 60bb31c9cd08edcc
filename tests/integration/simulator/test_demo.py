"""``run_demo`` in a subprocess: reachable by plain boto3, and a clean exit on SIGINT."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO

import pytest

from edgewatch.simulator.moto_server import free_port
from tests.support.waiting import wait_until

SCRIPT = (
    "from edgewatch.simulator.demo import run_demo; raise SystemExit(run_demo(port={port}, seed=5))"
)


class Demo:
    """A ``run_demo`` subprocess whose stdout and stderr are read on threads (never blocking)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT.format(port=port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put)),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _pump(stream: IO[str] | None, sink: Callable[[str], None]) -> None:
        assert stream is not None
        for line in stream:
            sink(line)

    def read_until(self, prefix: str, timeout: float = 60.0) -> list[str]:
        seen: list[str] = []
        while not any(ln.startswith(prefix) for ln in seen):
            try:
                seen.append(self.lines.get(timeout=timeout).rstrip("\n"))
            except queue.Empty:
                pytest.fail(f"no {prefix!r} line within {timeout:.0f} s; got {seen}")
        return seen

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)


@pytest.fixture
def demo() -> Iterator[Demo]:
    running = Demo(free_port())
    yield running
    running.close()


def test_demo_serves_boto3_and_stops_on_sigint(demo, boto3_for) -> None:
    output = demo.read_until("function=edge-analytics-fifo-consumer")
    endpoint = f"http://127.0.0.1:{demo.port}"
    assert output[0] == f"endpoint_url={endpoint}"
    assert "region=us-east-1" in output
    queue_urls = [ln.split("=", 1)[1] for ln in output if ln.startswith("queue_url=")]
    assert len(queue_urls) == 4
    assert [ln for ln in output if ln.startswith("log_group=")] == [
        "log_group=/aws/lambda/edge-analytics-consumer",
        "log_group=/aws/lambda/edge-analytics-fifo-consumer",
    ]
    lam = boto3_for("lambda", endpoint)  # the consumers exist for any client to discover
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    assert len(mappings) == 2

    sqs = boto3_for("sqs", endpoint)
    assert sorted(sqs.list_queues()["QueueUrls"]) == sorted(queue_urls)
    main_queue = next(u for u in queue_urls if u.endswith("/edge-analytics"))
    received = wait_until(
        lambda: sqs.receive_message(QueueUrl=main_queue, WaitTimeSeconds=1).get("Messages"),
        what="a message from the demo's queue",
    )
    assert "request_id" in received[0]["Body"]

    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(timeout=30) == 0
    demo.close()  # joins the readers: all output is in
    assert demo.stderr == []
    assert demo.read_until("# stopped:")
