"""Fixtures for the embedded stack's tests: bounded waiting and a clean moto state per module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from edgewatch.simulator.moto_server import MotoServer
from tests.support.waiting import wait_until as _wait_until


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    return _wait_until


@pytest.fixture(scope="module")
def clean_moto_state(moto_session_server: MotoServer) -> None:
    """moto's state is per process (the conftest server shares it): give a module a clean one.

    Embedded stacks serve the same in-process state on their own ports.
    """
    if not moto_session_server.running:
        moto_session_server.start()
    moto_session_server.reset()
