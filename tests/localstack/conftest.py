"""Fixtures for the embedded stack's tests: bounded waiting and boto3 clients for a stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from edgewatch.localstack.server import FAKE_CREDENTIALS, MotoServer

WaitUntil = Callable[..., Any]


def _wait_until(
    predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)


@pytest.fixture
def wait_until() -> WaitUntil:
    return _wait_until


@pytest.fixture(scope="module")
def clean_moto_state(moto_session_server: MotoServer) -> None:
    """moto's state is per process (the conftest server shares it): give a module a clean one.

    Embedded stacks serve the same in-process state on their own ports.
    """
    if not moto_session_server.running:
        moto_session_server.start()
    moto_session_server.reset()


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
