"""A token bucket in messages per second, shared by every pipeline of a replay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Waits so that, on average, at most ``rate`` messages pass per second (burst: ``burst``)."""

    def __init__(
        self,
        rate: float | None,
        burst: int,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.sleep = sleep
        self.capacity = float(max(1, burst))
        self.tokens = self.capacity
        self.clock = clock
        self.at = clock()
        self._lock = asyncio.Lock()

    async def acquire(self, n: int) -> None:
        if self.rate is None:
            return
        async with self._lock:
            while True:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
                self.at = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                await self.sleep((n - self.tokens) / self.rate)
