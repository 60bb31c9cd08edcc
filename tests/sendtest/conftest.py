"""Fixtures for the send engine: the emitter tests' scripted SQS server and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.localstack.server import FAKE_CREDENTIALS
from tests.emitter.fault_server import FaultServer


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
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
