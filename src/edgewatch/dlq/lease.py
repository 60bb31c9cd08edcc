"""Visibility leases on received messages: extended while held, released when done.

A received message stays invisible for the visibility timeout ``V``. Whoever holds it (the
browser while an operator looks, replay while a send is in flight) must extend that before it
runs out, or the message reappears and may be received (and replayed) a second time. The keeper
extends every lease due within ``V/2`` with ``ChangeMessageVisibilityBatch`` and remembers leases
it could not extend as *lost*: a later delete with that receipt handle is not proof of deletion.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from edgewatch.aws import AwsClients, describe_error

BATCH = 10
PARALLEL = 4  # extension calls at once: hundreds of held messages are renewed in one tick
SAFETY_S = 0.25  # a lease this close to expiry is treated as already gone


@dataclass(slots=True)
class Lease:
    receipt_handle: str
    expires_at: float
    lost: bool = False


class LeaseKeeper:
    """Tracks receipt handles of one queue and keeps them invisible until released."""

    def __init__(
        self,
        clients: AwsClients,
        queue_url: str,
        visibility_timeout: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.queue_url = queue_url
        self.visibility_timeout = visibility_timeout
        self.clock = clock
        self._leases: dict[str, Lease] = {}
        self._task: asyncio.Task[None] | None = None
        # Extending and releasing never overlap: an extension sent before a release but served
        # after it would hide a message again that nobody holds any more.
        self._changing = asyncio.Lock()
        self.last_error: str | None = None

    def __len__(self) -> int:
        return len(self._leases)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._leases

    def ids(self) -> list[str]:
        return list(self._leases)

    def add(self, message_id: str, receipt_handle: str, received_at: float) -> None:
        """Track a handle; ``received_at`` is when the receive was *sent* (a safe lower bound)."""
        self._leases[message_id] = Lease(receipt_handle, received_at + self.visibility_timeout)

    def adopt(self, message_id: str, lease: Lease) -> None:
        """Take over a lease from another keeper (browse → replay hand-over)."""
        self._leases[message_id] = lease

    def pop(self, message_id: str) -> Lease | None:
        return self._leases.pop(message_id, None)

    def handle(self, message_id: str) -> str:
        return self._leases[message_id].receipt_handle

    def is_safe(self, message_id: str) -> bool:
        """The handle is current: never failed to extend, and not about to expire."""
        lease = self._leases.get(message_id)
        return lease is not None and not lease.lost and self.clock() < lease.expires_at - SAFETY_S

    def earliest_expiry(self) -> float | None:
        """When the first held lease runs out (on :attr:`clock`), or None when none is held."""
        return min((lease.expires_at for lease in self._leases.values()), default=None)

    def drop(self, ids: Iterable[str]) -> None:
        for message_id in ids:
            self._leases.pop(message_id, None)

    # -- keepalive -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"lease:{self.queue_url}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        tick = max(0.2, min(self.visibility_timeout / 4, 5.0))
        while True:
            await asyncio.sleep(tick)
            with contextlib.suppress(Exception):  # recorded in last_error; retried next tick
                await self.extend_due()

    async def extend_due(self) -> None:
        """Extend every lease that expires within half a visibility timeout."""
        async with self._changing:
            await self._extend_due()

    async def _extend_due(self) -> None:
        horizon = self.clock() + self.visibility_timeout / 2
        due = [
            (mid, lease)
            for mid, lease in self._leases.items()
            if not lease.lost and lease.expires_at <= horizon
        ]
        chunks = [due[start : start + BATCH] for start in range(0, len(due), BATCH)]
        gate = asyncio.Semaphore(PARALLEL)

        async def extend(chunk: list[tuple[str, Lease]]) -> None:
            async with gate:
                await self._change(chunk, self.visibility_timeout)

        results = await asyncio.gather(*(extend(c) for c in chunks), return_exceptions=True)
        for result in results:  # every chunk was tried; the first error is for the caller
            if isinstance(result, BaseException):
                raise result

    async def _change(self, chunk: list[tuple[str, Lease]], timeout: int) -> set[str]:
        """ChangeMessageVisibilityBatch; returns the ids that succeeded."""
        sqs = await self.clients.sqs()
        sent_at = self.clock()
        entries = [
            {"Id": f"m{i}", "ReceiptHandle": lease.receipt_handle, "VisibilityTimeout": timeout}
            for i, (_, lease) in enumerate(chunk)
        ]
        try:
            resp = await sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url, Entries=entries
            )
        except Exception as exc:
            self.last_error = describe_error(exc)
            raise
        ok = {e["Id"] for e in resp.get("Successful", [])}
        done: set[str] = set()
        for i, (mid, lease) in enumerate(chunk):
            if f"m{i}" in ok:
                lease.expires_at = sent_at + timeout
                done.add(mid)
        for failure in resp.get("Failed", []):
            index = int(str(failure.get("Id", "m-1"))[1:])
            if 0 <= index < len(chunk) and failure.get("SenderFault", True):
                chunk[index][1].lost = True  # stale or deleted handle: no longer ours
        return done

    async def release(self, ids: Iterable[str] | None = None) -> int:
        """Make messages visible again now (visibility 0) and stop tracking them.

        Returns how many were released; those that fail come back on their own at expiry.
        """
        async with self._changing:
            wanted = list(self._leases) if ids is None else [i for i in ids if i in self._leases]
            pairs = [(mid, self._leases[mid]) for mid in wanted if not self._leases[mid].lost]
            released = 0
            for start in range(0, len(pairs), BATCH):
                with contextlib.suppress(Exception):
                    released += len(await self._change(pairs[start : start + BATCH], 0))
            self.drop(wanted)
            return released
