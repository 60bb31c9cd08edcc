"""Starting and stopping the embedded stack: its own thread and loop, nothing left behind."""

from __future__ import annotations

import threading

import pytest

from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer
from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.simulator.stack import EmbeddedStack
from tests.support.waiting import wait_until


@pytest.fixture(autouse=True)
def clean_moto(moto_server: MotoServer) -> None:
    """moto's state is per process: each stack starts from nothing (conftest's reset)."""


def test_stop_cancels_long_polls_and_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    stack = EmbeddedStack(seed=1, config=PipelineConfig.fast()).start()
    assert stack.target.endpoint_url == stack.endpoint_url
    assert stack.target.region == "us-east-1"
    assert stack.target.credentials == FAKE_CREDENTIALS
    # Let the consumers settle into waiting long polls (the queues drain between ticks).
    wait_until(lambda: stack.stats.processed >= 10, what="10 processed events")
    stack.stop()
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []
    assert not stack.running
    assert stack.stats.processed >= 10  # the final counters stay readable
    stack.stop()  # idempotent


def test_without_pipeline_only_the_resources(boto3_for) -> None:
    with EmbeddedStack(seed=2, pipeline=False) as stack:
        sqs = boto3_for("sqs", stack.endpoint_url)
        assert sorted(sqs.list_queues()["QueueUrls"]) == sorted(
            q.url for q in stack.resources.queues
        )
        assert stack.stats.sent == 0
    with pytest.raises(RuntimeError):
        _ = stack.resources


def test_endpoint_outage_is_counted_and_survived() -> None:
    with EmbeddedStack(seed=3) as stack:
        wait_until(lambda: stack.stats.processed >= 5, what="traffic before the outage")
        stack.server.stop()  # same port, same state when it comes back
        wait_until(lambda: stack.stats.errors >= 3, what="errors counted during the outage")
        stack.server.start()
        resumed = stack.stats.processed
        wait_until(lambda: stack.stats.processed > resumed + 5, timeout=30, what="recovery")
        assert stack.stats.last_error


def test_port_in_use_raises_and_cleans_up() -> None:
    with EmbeddedStack(seed=4, pipeline=False) as first:
        before = set(threading.enumerate())
        with pytest.raises(OSError):
            EmbeddedStack(port=first.server.port or 0, pipeline=False).start()
        assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []
