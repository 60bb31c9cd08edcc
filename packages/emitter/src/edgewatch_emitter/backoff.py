"""Retry pacing for every retry loop in edgewatch: one backoff policy, and a circuit breaker.

``BackoffPolicy`` is exponential backoff, ``base * 2**(attempt-1)`` capped at ``cap``, with a
jitter mode: ``full`` (a uniform draw in [0, ceiling], AWS's recommendation for many concurrent
clients: a recovering endpoint is not hit by synchronised waves), ``equal`` (in [ceiling/2,
ceiling]: never near zero, for pollers whose wait is also their pace) or ``none``. ``Backoff`` is
a loop's state (attempts since the last success). The breaker stops all sending after a run of
failed requests, so that an outage costs one probe per cool-down instead of a retry storm, while
``emit()`` keeps buffering.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Jitter = Literal["full", "equal", "none"]


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long to wait before retry number ``attempt`` (1-based)."""

    base_s: float = 0.05
    cap_s: float = 5.0
    jitter: Jitter = "full"

    def __post_init__(self) -> None:
        if self.base_s < 0 or self.cap_s < 0:
            raise ValueError("backoff base and cap must be ≥ 0")
        if self.jitter not in ("full", "equal", "none"):
            raise ValueError("jitter must be 'full', 'equal' or 'none'")

    def ceiling(self, attempt: int) -> float:
        """The un-jittered wait: doubling from ``base_s``, capped at ``cap_s``."""
        return min(self.cap_s, self.base_s * (2.0 ** min(max(attempt, 1) - 1, 62)))

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry ``attempt``; ``rng`` returns a float in [0, 1)."""
        ceiling = self.ceiling(attempt)
        if self.jitter == "full":
            return ceiling * rng()
        if self.jitter == "equal":
            return ceiling * (0.5 + 0.5 * rng())
        return ceiling


class Backoff:
    """A retry loop's state under a policy: ``next_delay()`` per failure, ``reset()`` on success."""

    __slots__ = ("attempt", "policy", "rng")

    def __init__(self, policy: BackoffPolicy, rng: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self.rng = rng
        self.attempt = 0  # failures since the last success

    def next_delay(self) -> float:
        self.attempt += 1
        return self.policy.delay(self.attempt, self.rng)

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        self.attempt = 0


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
