"""Shared fixtures: a real moto server over HTTP on 127.0.0.1 (no monkeypatched AWS layer)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer

if TYPE_CHECKING:
    from tests.support.backends import Backend

pytest_plugins = ["tests.support.fixtures", "tests.support.backends"]

# Tests never touch real AWS, whatever the developer's shell holds.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "EDGEWATCH_CONFIG"):
    os.environ.pop(_var, None)
os.environ["AWS_ACCESS_KEY_ID"] = FAKE_CREDENTIALS[0]
os.environ["AWS_SECRET_ACCESS_KEY"] = FAKE_CREDENTIALS[1]
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(autouse=True)
def _private_state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test its own $XDG_STATE_HOME: alert state never leaks between tests or to $HOME."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def moto_session_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto_server(moto_session_server: MotoServer) -> Iterator[MotoServer]:
    """The shared moto server, reset before each test (moto state is per process)."""
    if not moto_session_server.running:
        moto_session_server.start()
    moto_session_server.reset()
    yield moto_session_server
    if not moto_session_server.running:  # a test that stopped it
        moto_session_server.start()


@pytest.fixture
def aws_target(backend: Backend) -> AwsTarget:
    """moto, or LocalStack for a test parametrised over both (``pytest.mark.backends``)."""
    return backend.target()


@pytest.fixture
async def aws_clients(aws_target: AwsTarget) -> AsyncIterator[AwsClients]:
    clients = AwsClients(aws_target)
    yield clients
    await clients.aclose()


@pytest.fixture
def boto3_sqs(backend: Backend):
    """A plain boto3 client for arranging and checking state from the outside."""
    return backend.client("sqs")
