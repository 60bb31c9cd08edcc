"""The poll loop both pollers share: pause (no API calls at all), resume, wake early, emit.

A poll starts only after the previous one and its callback finished; while paused the loop
emits the last snapshot marked ``paused`` once and then waits to be woken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace

from edgewatch.metrics.models import MetricsSnapshot

SnapshotCallback = Callable[[MetricsSnapshot], Awaitable[None] | None]


class PollLoop:
    """Base of a poller: subclasses provide :meth:`poll_once`, :meth:`next_wait_s`,
    :meth:`aclose`, ``last`` (the latest snapshot) and ``clock``."""

    last: MetricsSnapshot | None
    clock: Callable[[], float]

    def __init__(self) -> None:
        self._paused = asyncio.Event()
        self._wake = asyncio.Event()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        """Stop making API calls (not just redraws) until :meth:`resume`."""
        self._paused.set()
        self._wake.set()

    def resume(self) -> None:
        self._paused.clear()
        self._wake.set()

    async def poll_once(self) -> MetricsSnapshot:
        raise NotImplementedError

    def next_wait_s(self) -> float:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Cancel what is still in flight (subclasses that start requests override this)."""

    async def run(self, on_snapshot: SnapshotCallback) -> None:
        """Poll until cancelled; each poll starts only after the previous one and its callback."""
        try:
            while True:
                if self.paused:
                    await self._emit(on_snapshot, self._paused_snapshot())
                    while self.paused:
                        self._wake.clear()
                        await self._wake.wait()
                await self._emit(on_snapshot, await self.poll_once())
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.next_wait_s())
        finally:
            await self.aclose()

    @staticmethod
    async def _emit(callback: SnapshotCallback, snapshot: MetricsSnapshot) -> None:
        result = callback(snapshot)
        if asyncio.iscoroutine(result):
            await result

    def _paused_snapshot(self) -> MetricsSnapshot:
        base = self.last or MetricsSnapshot(queues=(), polled_at=self.clock(), connection="paused")
        return replace(base, connection="paused")
