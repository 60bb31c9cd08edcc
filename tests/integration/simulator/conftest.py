"""Fixtures for the embedded stack's tests: a clean moto state per module."""

from __future__ import annotations

import pytest

from edgewatch.simulator.moto_server import MotoServer


@pytest.fixture(scope="module")
def clean_moto_state(moto_session_server: MotoServer) -> None:
    """moto's state is per process (the conftest server shares it): give a module a clean one.

    Embedded stacks serve the same in-process state on their own ports.
    """
    if not moto_session_server.running:
        moto_session_server.start()
    moto_session_server.reset()
