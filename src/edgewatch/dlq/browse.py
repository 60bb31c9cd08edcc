"""Browse a DLQ page by page without losing or consuming anything.

SQS has no "peek": reading a message is receiving it. So the browser receives with a visibility
timeout, keeps what it shows invisible (extending the lease while the operator looks, so the list
stays stable), and makes everything visible again when the operator leaves. Each view raises the
message's ``ApproximateReceiveCount``: the operator is told so (:data:`BROWSE_WARNING`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from edgewatch.aws import AwsClients
from edgewatch.dlq.lease import Lease, LeaseKeeper
from edgewatch.dlq.models import DlqMessage, QueueInfo
from edgewatch.dlq.queues import queue_info, receive_messages

BROWSE_WARNING = (
    "Browsing receives messages: each one shown gets its ApproximateReceiveCount raised by 1 "
    "and stays invisible to other consumers until you leave (then it is made visible again)."
)
FIFO_NOTE = (
    "FIFO: while a message is shown, later messages of its group cannot be read; they appear "
    "once it is released or replayed."
)


@dataclass(frozen=True, slots=True)
class BrowsePage:
    """Messages new to this browse, and whether the DLQ had nothing more to give."""

    messages: list[DlqMessage]
    exhausted: bool
    held: int


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """A message with its live lease, handed from the browser to the replay engine."""

    message: DlqMessage
    lease: Lease


class DlqBrowser:
    """Reads a DLQ page by page; ``async with`` guarantees the messages become visible again."""

    def __init__(
        self,
        clients: AwsClients,
        queue: str,
        *,
        visibility_timeout: int = 120,
        wait_time_s: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.queue_name = queue
        self.visibility_timeout = visibility_timeout
        self.wait_time_s = wait_time_s
        self.clock = clock
        self.info: QueueInfo | None = None
        self.messages: dict[str, DlqMessage] = {}  # held, in the order received
        self._keeper: LeaseKeeper | None = None

    @property
    def keeper(self) -> LeaseKeeper | None:
        """The leases of the held messages (None before :meth:`open`)."""
        return self._keeper

    @property
    def warnings(self) -> list[str]:
        notes = [BROWSE_WARNING]
        if self.info is not None and self.info.fifo:
            notes.append(FIFO_NOTE)
        return notes

    async def open(self) -> QueueInfo:
        if self.info is None:
            self.info = await queue_info(self.clients, self.queue_name)
            self._keeper = LeaseKeeper(
                self.clients, self.info.url, self.visibility_timeout, clock=self.clock
            )
            self._keeper.start()
        return self.info

    async def next_page(self, size: int = 10) -> BrowsePage:
        """Receive until ``size`` messages not seen before, or until the DLQ returns nothing."""
        await self.open()
        assert self.info is not None and self._keeper is not None
        new: list[DlqMessage] = []
        exhausted = False
        while len(new) < size:
            sent_at = self.clock()
            batch = await receive_messages(
                self.clients,
                self.info.url,
                max_messages=min(10, size - len(new)),
                visibility_timeout=self.visibility_timeout,
                wait_time_s=self.wait_time_s,
            )
            if not batch:
                exhausted = True
                break
            for msg in batch:
                self._keeper.add(msg.message_id, msg.receipt_handle, sent_at)
                if msg.message_id not in self.messages:
                    new.append(msg)
                self.messages[msg.message_id] = msg  # a reappeared one: keep the fresh handle
        return BrowsePage(new, exhausted, len(self.messages))

    async def release(self, ids: Iterable[str] | None = None) -> int:
        """Make messages visible again (all when ``ids`` is None); returns how many."""
        if self._keeper is None:
            return 0
        wanted = list(self.messages) if ids is None else [i for i in ids if i in self.messages]
        released = await self._keeper.release(wanted)
        for mid in wanted:
            self.messages.pop(mid, None)
        return released

    def take(self, ids: Iterable[str]) -> list[HeldMessage]:
        """Hand messages over to a replay: the browser stops holding them, the engine takes over.

        Order follows the browse order (which keeps FIFO group order).
        """
        wanted = set(ids)
        out: list[HeldMessage] = []
        if self._keeper is None:
            return out
        for mid in [m for m in self.messages if m in wanted]:
            lease = self._keeper.pop(mid)
            msg = self.messages.pop(mid)
            if lease is not None:
                out.append(HeldMessage(msg, lease))
        return out

    async def aclose(self) -> None:
        """Release everything still held and stop the keepalive."""
        if self._keeper is not None:
            await self._keeper.stop()
            await self.release()
            self._keeper = None

    async def __aenter__(self) -> DlqBrowser:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
