"""Fixtures for the log tests (the moto server and clients come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults import FaultProxy
from tests.logs.helpers import LogsArranger


@pytest.fixture
def logs(moto_server) -> LogsArranger:
    return LogsArranger(moto_server.endpoint_url)


@pytest.fixture
def proxy(moto_server) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_server.endpoint_url)
    yield p
    p.close()
