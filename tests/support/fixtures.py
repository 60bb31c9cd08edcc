"""Fixtures shared across the suite, loaded by the root conftest as a plugin.

Queue pairs, fault proxies and servers, log arrangers and TUI scenes; the moto server itself and
clients for it are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from edgewatch.tui import EdgewatchApp
from tests.support.fault_server import FaultServer
from tests.support.faults import FaultProxy
from tests.support.logs import LogsArranger
from tests.support.notes import recording_notify
from tests.support.sqs import Pair, make_pair
from tests.support.tui import LiveQueues, Scene, build_scene

if TYPE_CHECKING:
    from tests.support.backends import Backend


@pytest.fixture
def pair(boto3_sqs: Any) -> Pair:
    return make_pair(boto3_sqs, "orders")


@pytest.fixture
def fifo_pair(boto3_sqs: Any) -> Pair:
    return make_pair(boto3_sqs, "payments", fifo=True)


@pytest.fixture
def proxy(backend: Backend) -> Iterator[FaultProxy]:
    """A fault-injecting HTTP proxy in front of the backend (moto unless parametrised)."""
    p = FaultProxy(backend.endpoint_url)
    yield p
    p.close()


@pytest.fixture
async def proxy_clients(proxy: FaultProxy, backend: Backend) -> AsyncIterator[AwsClients]:
    """Clients that talk to the backend through the fault proxy."""
    clients = AwsClients(
        AwsTarget(
            region="us-east-1", endpoint_url=proxy.endpoint_url, credentials=backend.credentials
        )
    )
    yield clients
    await clients.aclose()


@pytest.fixture
def logs(backend: Backend) -> LogsArranger:
    return LogsArranger(backend.endpoint_url, backend.credentials)


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    """The scripted SQS server (answers, delays, throttles, closes) on a free loopback port."""
    server = FaultServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fault_clients(fault_server: FaultServer) -> AsyncIterator[AwsClients]:
    target = AwsTarget("us-east-1", fault_server.endpoint_url, credentials=FAKE_CREDENTIALS)
    clients = AwsClients(target)
    yield clients
    await clients.aclose()


@pytest.fixture
def boto3_for() -> Callable[[str, str], Any]:
    """``boto3_for(service, endpoint_url)``: a plain boto3 client for checking from outside."""

    def make(service: str, endpoint_url: str) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS[0],
            aws_secret_access_key=FAKE_CREDENTIALS[1],
        )

    return make


@pytest.fixture
def scene() -> Scene:
    """The fixed scene every snapshot and dashboard test starts from."""
    return build_scene()


@pytest.fixture
def live_queues(boto3_sqs: Any) -> LiveQueues:
    """Real queues in the (reset) moto server: orders with a DLQ, and payments."""
    return LiveQueues.create(boto3_sqs)


@pytest.fixture
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``EDGEWATCH_*`` variable and no user config file: the CLI sees only what a test says."""
    for key in list(os.environ):
        if key.startswith("EDGEWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture(autouse=True)
def record_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app's notifications are readable with ``tests.support.notes.notes(app)``."""
    monkeypatch.setattr(EdgewatchApp, "notify", recording_notify(EdgewatchApp.notify))
