"""Capability detection on both backends: where one differs from AWS, edgewatch says so (CLI,
console), never with a silent 0. The rows of docs/fidelity.md name these tests."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from edgewatch.aws import AwsClients
from edgewatch.capabilities import probe_endpoint
from edgewatch.cli import main
from edgewatch.config import Settings
from edgewatch.metrics.poller import QueuePoller
from edgewatch.runtime import Runtime
from edgewatch.tui import EdgewatchApp
from tests.support.backends import Backend
from tests.support.notes import notifications
from tests.support.sqs import Pair
from tests.support.waiting import wait_until

pytestmark = pytest.mark.backends  # moto and LocalStack

DIFFERS_TITLE = "This endpoint differs from AWS"


def resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return False
    return True


def sqs_metrics_published(backend: Backend) -> bool:
    return bool(backend.client("cloudwatch").list_metrics(Namespace="AWS/SQS")["Metrics"])


async def test_oldest_age_is_na_with_the_reason_never_0(
    backend: Backend, aws_clients: AwsClients, boto3_sqs: Any, pair: Pair
) -> None:
    boto3_sqs.send_message(QueueUrl=pair.source_url, MessageBody="waiting")
    if backend.is_localstack:  # it publishes AWS/SQS metrics on a timer (every 5 s here)
        wait_until(lambda: sqs_metrics_published(backend), timeout=30, what="AWS/SQS metrics")
    cloudwatch = backend.client("cloudwatch")
    ages = cloudwatch.list_metrics(Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage")
    assert ages["Metrics"] == []  # neither publishes it; AWS does, each minute

    found = {c.key: c for c in await probe_endpoint(aws_clients, backend.endpoint_url)}
    age = found["oldest_age"]
    assert age.available is False and "oldest age shows n/a" in age.note
    if backend.is_localstack:
        assert "publishes AWS/SQS metrics but not ApproximateAgeOfOldestMessage" in age.note
    else:
        assert "no AWS/SQS metrics" in age.note

    snapshot = await QueuePoller(aws_clients, Settings()).poll_once()
    orders = next(q for q in snapshot.queues if q.name == "orders")
    assert orders.visible == 1 and orders.oldest_age_s is None  # n/a, not 0


async def test_move_tasks_are_detected(
    backend: Backend, aws_clients: AwsClients, pair: Pair
) -> None:
    found = {c.key: c for c in await probe_endpoint(aws_clients, backend.endpoint_url)}
    tasks = found["move_tasks"]
    assert tasks.available is backend.is_localstack
    if not backend.is_localstack:
        assert "moto does not" in tasks.note and "client-side" in tasks.note


async def test_queue_urls_on_a_host_that_does_not_resolve_are_said(
    backend: Backend, aws_clients: AwsClients, pair: Pair
) -> None:
    host = urlsplit(pair.source_url).hostname or ""
    on_endpoint = host == urlsplit(backend.endpoint_url).hostname
    assert on_endpoint is (backend.name == "moto")  # LocalStack names its own host
    found = {c.key: c for c in await probe_endpoint(aws_clients, backend.endpoint_url)}
    url_host = found["queue_url_host"]
    assert url_host.available is (on_endpoint or resolves(host))
    if not url_host.available:
        assert host in url_host.note and backend.endpoint_url in url_host.note


def test_the_cli_lists_the_differences(
    backend: Backend, pair: Pair, capsys: pytest.CaptureFixture[str], monkeypatch: Any, tmp_path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    args = ["--endpoint-url", backend.endpoint_url, "--region", "us-east-1"]
    assert main(["capabilities", "--json", *args]) == 0
    found = {c["key"]: c for c in json.loads(capsys.readouterr().out)}
    assert set(found) == {"oldest_age", "move_tasks", "queue_url_host"}
    assert found["move_tasks"]["available"] is backend.is_localstack

    assert main(["status", *args]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: ")]
    assert any(line.startswith("note: oldest_age: differs") for line in notes)
    assert any(line.startswith("note: move_tasks: differs") for line in notes) is (
        backend.name == "moto"
    )


async def test_the_console_notifies_each_difference_once(backend: Backend, pair: Pair) -> None:
    runtime = Runtime(Settings(poll_interval=0.2), backend.target())
    app = EdgewatchApp(runtime)
    async with app.run_test(size=(140, 40)) as pilot:
        deadline = time.monotonic() + 30

        def checking() -> bool:
            workers = [w for w in app.workers if w.group == "capabilities"]
            return not app._probed or any(not w.is_finished for w in workers)

        while checking():
            assert time.monotonic() < deadline, "the capability check did not finish"
            await pilot.pause(0.05)
        await pilot.pause()
        told = [n for n in notifications(app) if n.title == DIFFERS_TITLE]
    messages = " | ".join(n.message for n in told)
    assert "oldest age shows n/a" in messages
    assert ("moto does not" in messages) is (backend.name == "moto")
    assert len(told) == len({n.message for n in told})  # once each


def test_signatures_are_not_checked(backend: Backend) -> None:
    """Neither checks SigV4 (AWS does): signing is tested against the scripted fault server."""
    wrong = Backend(backend.name, backend.endpoint_url, (backend.credentials[0], "wrong-secret"))
    created = wrong.client("sqs").create_queue(QueueName="signed-wrong")  # accepted all the same
    assert created["QueueUrl"].endswith("/signed-wrong")
