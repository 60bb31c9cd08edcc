"""Bounded condition loops: a test waits for a state, never sleeps and hopes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(0.05)


async def async_wait_until(
    condition: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "",
    *,
    in_thread: bool = False,
    interval: float = 0.005,
) -> Any:
    """Poll ``condition`` on the running loop until it returns something truthy (returned);
    fail the test at ``timeout``. ``in_thread``: for a blocking check (a boto3 call), run it off
    the loop so that the servers on it keep answering."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(condition) if in_thread else condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        await asyncio.sleep(interval)
