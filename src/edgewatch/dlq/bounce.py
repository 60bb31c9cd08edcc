"""Bounce-back: after a replay, did the replayed messages come back to the DLQ?

A replayed message that fails again is dead-lettered again, still carrying its
``edgewatch.replay`` record (attributes survive a redrive) and, on a redrive policy's move, the
message id the replay gave it in the target. The watcher browses the DLQ at an interval and
counts a message as *back* when its record names a DLQ message this replay moved, or its id is
one the replay got from the target. "N of M replayed messages came back" means the fix did not
work for N of them.

Browsing receives messages (raising their receive counts) and gives them back at once; each scan
stops after ``max_scan`` messages, and says so, so a deep DLQ costs a bounded number of calls.

The DLQ screen watches differently (:func:`watch_held`): it already holds what it shows, and a
second reader would race it for the same messages, so its own browsing is the scan: one more
page into the session per tick, and every held message looked at. Messages that come back are
then in the list too, held like the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from edgewatch.aws import AwsClients, describe_error
from edgewatch.dlq.browse import BrowsePage, DlqBrowser
from edgewatch.dlq.models import DlqMessage
from edgewatch.dlq.session import DlqSession

DEFAULT_MAX_SCAN = 1000
SCAN_VISIBILITY_S = 30  # long enough to finish a scan; every message is released right after


@dataclass(frozen=True, slots=True)
class BounceReport:
    dlq: str
    replayed: int
    came_back: int
    message_ids: tuple[str, ...] = ()  # the original DLQ ids of the messages that came back
    watched_s: float = 0.0
    scans: int = 0
    partial: bool = False  # a scan stopped at max_scan: more may have come back
    error: str | None = None

    @property
    def summary(self) -> str:
        text = (
            f"{self.came_back} of {self.replayed} replayed message(s) came back to {self.dlq}"
            f" within {self.watched_s:.0f} s"
        )
        if self.came_back:
            text += ": the fix did not work for them"
        if self.partial:
            text += f" (the DLQ holds more than {DEFAULT_MAX_SCAN:,} messages: counted a part)"
        if self.error:
            text += f" (watch stopped: {self.error})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "dlq": self.dlq,
            "replayed": self.replayed,
            "came_back": self.came_back,
            "message_ids": list(self.message_ids),
            "watched_s": round(self.watched_s, 1),
            "scans": self.scans,
            "partial": self.partial,
            "error": self.error,
            "summary": self.summary,
        }


@dataclass
class BounceWatcher:
    """``moved``: DLQ message id -> the id the target gave it (``None`` when unknown)."""

    clients: AwsClients
    dlq: str
    moved: Mapping[str, str | None]
    max_scan: int = DEFAULT_MAX_SCAN
    label: str | None = None  # the DLQ's name for the report (default: ``dlq`` as given)
    clock: Callable[[], float] = time.monotonic
    back: dict[str, str] = field(default_factory=dict)  # original DLQ id -> id seen in the DLQ
    scans: int = 0
    partial: bool = False

    def __post_init__(self) -> None:
        self._by_target = {t: d for d, t in self.moved.items() if t}

    def _origin(self, message_id: str, record_id: str | None) -> str | None:
        if record_id is not None and record_id in self.moved:
            return record_id
        return self._by_target.get(message_id)

    def see(self, messages: Iterable[DlqMessage]) -> int:
        """Count the replayed ones among ``messages`` (read from the DLQ); how many are back."""
        for msg in messages:
            record = msg.replay
            origin = self._origin(msg.message_id, record.message_id if record else None)
            if origin is not None:
                self.back[origin] = msg.message_id
        return len(self.back)

    async def scan(self) -> int:
        """Browse the DLQ once; return how many replayed messages are back so far."""
        seen = 0
        async with DlqBrowser(
            self.clients, self.dlq, visibility_timeout=SCAN_VISIBILITY_S, wait_time_s=0
        ) as browser:
            while seen < self.max_scan:
                page = await browser.next_page(min(10, self.max_scan - seen))
                self.see(page.messages)
                seen += len(page.messages)
                if page.exhausted:
                    break
            else:
                self.partial = True
        self.scans += 1
        return len(self.back)

    def report(self, watched_s: float, error: str | None = None) -> BounceReport:
        return BounceReport(
            dlq=self.label or self.dlq,
            replayed=len(self.moved),
            came_back=len(self.back),
            message_ids=tuple(sorted(self.back)),
            watched_s=watched_s,
            scans=self.scans,
            partial=self.partial,
            error=error,
        )

    async def watch(
        self,
        duration_s: float,
        *,
        interval_s: float = 5.0,
        on_scan: Callable[[BounceReport], Awaitable[None] | None] | None = None,
    ) -> BounceReport:
        """Scan every ``interval_s`` for ``duration_s``; stop early once every message is back."""
        start = self.clock()
        while True:
            try:
                await self.scan()
            except Exception as exc:  # an endpoint error ends the watch with what was seen
                return self.report(self.clock() - start, describe_error(exc))
            report = self.report(self.clock() - start)
            if on_scan is not None:
                result = on_scan(report)
                if asyncio.iscoroutine(result):
                    await result
            left = duration_s - (self.clock() - start)
            if len(self.back) >= len(self.moved) or left <= 0:
                return report
            await asyncio.sleep(min(interval_s, left))


async def watch_held(
    session: DlqSession,
    watcher: BounceWatcher,
    duration_s: float,
    *,
    interval_s: float = 5.0,
    page_size: int = 50,
    on_scan: Callable[[BounceReport, BrowsePage | None], None] | None = None,
) -> BounceReport:
    """Watch through ``session``: each tick receives a page (unless a receive is in flight) and
    counts the replayed messages among everything it holds; stops early once all are back."""
    start = watcher.clock()
    while True:
        page: BrowsePage | None = None
        if session.can_load():
            try:
                page = await session.next_page(page_size)
            except Exception as exc:  # the list is unknown now; the watch ends with what it saw
                problem = describe_error(exc)
                session.browse_failed(problem)
                return watcher.report(watcher.clock() - start, problem)
            session.add(page.messages, exhausted=page.exhausted)
        watcher.see(session.browser.messages.values())
        watcher.scans += 1
        report = watcher.report(watcher.clock() - start)
        if on_scan is not None:
            on_scan(report, page)
        left = duration_s - (watcher.clock() - start)
        if len(watcher.back) >= len(watcher.moved) or left <= 0:
            return report
        await asyncio.sleep(min(interval_s, left))


def moved_by(result: Any) -> dict[str, str | None]:
    """``{DLQ message id: target message id}`` of what a :class:`ReplayResult` moved."""
    return {o.message_id: o.target_message_id for o in result.by_status("moved")}
