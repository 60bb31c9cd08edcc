"""Retry pacing: exponential backoff with full jitter, and a circuit breaker.

Full jitter (a uniform draw in [0, min(cap, base * 2**n)]) spreads the retries of many emitters so
that a recovering endpoint is not hit by synchronised waves. The breaker stops all sending after a
run of failed requests, so that an outage costs one probe per cool-down instead of a retry storm,
while ``emit()`` keeps buffering.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based)."""
    ceiling = min(cap_s, base_s * (2.0 ** min(attempt - 1, 62)))
    return rng.uniform(0.0, ceiling)


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after ``cooldown_s``.

    In half-open exactly one request (the probe) may go; its success closes the breaker, its
    failure opens it for another cool-down. Requests wait in ``acquire()``; the wait never counts
    as a retry attempt.
    """

    def __init__(
        self,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("breaker threshold must be at least 1")
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._changed = asyncio.Event()
        self.trips = 0

    @property
    def is_open(self) -> bool:
        """Open or half-open: normal traffic is held back."""
        return self._opened_at is not None

    async def wait_ready(self) -> None:
        """Return once the breaker is closed or its cool-down is over (does not take the probe)."""
        while self._opened_at is not None:
            remaining = self._opened_at + self.cooldown_s - self._clock()
            if remaining <= 0:
                return
            await self._wait_change(remaining)

    async def acquire(self) -> bool:
        """Wait for permission to send; True means this request is the half-open probe."""
        while True:
            if self._opened_at is None:
                return False
            remaining = self._opened_at + self.cooldown_s - self._clock()
            if remaining <= 0 and not self._probing:
                self._probing = True
                return True
            await self._wait_change(remaining if remaining > 0 else None)

    def record_success(self, probe: bool = False) -> None:
        self._failures = 0
        if probe:
            self._probing = False
        if self._opened_at is not None:
            self._opened_at = None
            self._probing = False
            self._notify()

    def record_failure(self, probe: bool = False) -> None:
        self._failures += 1
        if probe or (self._opened_at is None and self._failures >= self.threshold):
            self._probing = False
            self._opened_at = self._clock()
            self.trips += 1
            self._notify()

    def release(self, probe: bool) -> None:
        """A probe that ended without a verdict (cancelled): let another request probe."""
        if probe and self._probing:
            self._probing = False
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float | None) -> None:
        changed = self._changed
        try:
            async with asyncio.timeout(timeout):
                await changed.wait()
        except TimeoutError:
            pass
