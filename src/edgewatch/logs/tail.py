"""Several log sources as one stream of typed batches, with back-pressure and pause/resume.

A :class:`LogTail` runs each source (a CloudWatch group, a file) as a task feeding one queue
bounded by *lines*, not batches: a CloudWatch page can hold 10,000 events, so a batch count would
bound nothing. When the consumer (the CLI's stdout, the TUI's log view) is slower than the
sources, they wait in ``emit``, which stops their API calls and reads; nothing is dropped.
``pause()`` stops the sources before their next request or read; what is queued stays readable.

Consumers read it as an async iterator (``async for batch in tail``) or with a callback
(``await tail.run(on_batch)``); batches ready together are coalesced into one, so a UI redraws
once per burst rather than once per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from edgewatch.aws import AwsClients, describe_error
from edgewatch.config import LogsSettings
from edgewatch.logs.cloudwatch import CloudWatchSource
from edgewatch.logs.file import FileSource
from edgewatch.logs.models import Emit, LogBatch, LogLine, LogSourceError, SourceNotice
from edgewatch.logs.search import LogQuery

if TYPE_CHECKING:
    from edgewatch.consumers.models import QueueConsumers
    from edgewatch.runtime import Runtime

DEFAULT_SINCE_S = 600.0  # CloudWatch backfill when no start is given, as `aws logs tail`
MAX_PENDING_LINES = 20_000
MAX_BATCH_LINES = 5_000
NO_SOURCE_HELP = (
    "no log group to read: pass --log-group GROUP (or --file PATH), set logs.groups "
    "in the config file (environment: EDGEWATCH_LOGS__GROUPS), or a queue's log_groups"
)

BatchCallback = Callable[[LogBatch], Awaitable[None] | None]


class LogSource(Protocol):
    """What :class:`LogTail` runs: ``run`` delivers batches through ``emit`` until done."""

    @property
    def name(self) -> str: ...

    async def run(self, emit: Emit, running: asyncio.Event | None = None) -> None: ...


class NoLogSourceError(Exception):
    """Nothing says which logs to read; the message names the flag and the config key."""


class LogTail:
    """Runs sources concurrently; yields coalesced :class:`LogBatch`es until all have finished.

    One-shot sources finish on their own; followed ones run until :meth:`aclose`. A source that
    fails is reported as an ``error`` notice (also kept in :attr:`errors`) and the others go on.
    """

    def __init__(
        self,
        sources: Sequence[LogSource],
        *,
        max_pending_lines: int = MAX_PENDING_LINES,
        max_batch_lines: int = MAX_BATCH_LINES,
    ) -> None:
        self.sources = tuple(sources)
        self.max_pending_lines = max_pending_lines
        self.max_batch_lines = max_batch_lines
        self.errors: list[SourceNotice] = []
        self.delivered = 0
        self._items: deque[LogBatch] = deque()
        self._pending = 0
        self._cond: asyncio.Condition | None = None
        self._running: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._active = 0
        self._started = False
        self._closed = False

    # -- control -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sources (from a running loop); iterating or :meth:`run` does it too."""
        if self._started:
            return
        self._started = True
        self._cond = asyncio.Condition()
        self._running = asyncio.Event()
        self._running.set()
        self._active = len(self.sources)
        self._tasks = [
            asyncio.create_task(self._run_source(s), name=f"log:{s.name}") for s in self.sources
        ]

    @property
    def paused(self) -> bool:
        return self._running is not None and not self._running.is_set()

    def pause(self) -> None:
        """Stop making requests and reads (queued batches can still be read)."""
        self.start()
        assert self._running is not None
        self._running.clear()

    def resume(self) -> None:
        self.start()
        assert self._running is not None
        self._running.set()

    @property
    def pending_lines(self) -> int:
        """Lines read but not yet taken by the consumer."""
        return self._pending

    @property
    def finished(self) -> bool:
        return self._started and self._active == 0 and not self._items

    async def aclose(self) -> None:
        """Cancel the sources (their in-flight requests too) and end the iteration."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        if self._cond is not None:
            async with self._cond:
                self._active = 0
                self._cond.notify_all()

    async def __aenter__(self) -> LogTail:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- consuming -----------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[LogBatch]:
        return self

    async def __anext__(self) -> LogBatch:
        self.start()
        cond = self._cond
        assert cond is not None
        async with cond:
            await cond.wait_for(lambda: bool(self._items) or self._active == 0 or self._closed)
            if not self._items:
                raise StopAsyncIteration
            lines: list[LogLine] = []
            notices: list[SourceNotice] = []
            while self._items and (
                not lines or len(lines) + len(self._items[0].lines) <= self.max_batch_lines
            ):
                batch = self._items.popleft()
                lines.extend(batch.lines)
                notices.extend(batch.notices)
            self._pending -= len(lines)
            self.delivered += len(lines)
            cond.notify_all()
        return LogBatch(lines=tuple(lines), notices=tuple(notices))

    async def run(self, on_batch: BatchCallback) -> None:
        """Call ``on_batch`` for each batch until every source finished (or cancellation)."""
        try:
            async for batch in self:
                result = on_batch(batch)
                if asyncio.iscoroutine(result):
                    await result
        finally:
            await self.aclose()

    # -- producing -----------------------------------------------------------------------------

    async def _emit(self, batch: LogBatch) -> None:
        cond = self._cond
        assert cond is not None
        size = len(batch.lines)
        async with cond:
            await cond.wait_for(
                lambda: self._pending == 0 or self._pending + size <= self.max_pending_lines
            )
            self._items.append(batch)
            self._pending += size
            cond.notify_all()

    async def _run_source(self, source: LogSource) -> None:
        notice: SourceNotice | None = None
        try:
            await source.run(self._emit, self._running)
        except LogSourceError as exc:
            notice = SourceNotice(source.name, "error", exc.message)
        except Exception as exc:  # a bug or an unexpected error: reported, never a traceback
            notice = SourceNotice(source.name, "error", describe_error(exc))
        finally:
            assert self._cond is not None
            async with self._cond:
                if notice is not None:
                    self.errors.append(notice)
                    self._items.append(LogBatch(notices=(notice,)))  # past the bound: tiny
                self._active -= 1
                self._cond.notify_all()


# -- building a tail from settings -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TailTargets:
    """The log groups and the file a tail reads.

    ``discover`` adds the log groups of the watched queues' consumers, found from their event
    source mappings (``edgewatch.consumers``), once a runtime can look them up:
    :func:`discover_targets` does it.
    """

    groups: tuple[str, ...] = ()
    file: str | None = None
    discover: bool = False

    @property
    def needs_aws(self) -> bool:
        return bool(self.groups) or self.discover


def resolve_targets(
    logs: LogsSettings,
    *,
    groups: Sequence[str] = (),
    file: str | None = None,
) -> TailTargets:
    """Flags first (only them); else ``logs.groups``/``logs.file`` plus the groups of the watched
    queues' consumers (discovered, on the embedded stack as on AWS; a queue's ``log_groups`` key
    overrides its discovery)."""
    if groups or file:
        return TailTargets(tuple(dict.fromkeys(groups)), file)
    return TailTargets(tuple(dict.fromkeys(logs.groups)), logs.file, discover=True)


async def discover_targets(targets: TailTargets, runtime: Runtime) -> TailTargets:
    """``targets`` with the discovered consumer groups in; raises :class:`NoLogSourceError` when
    there is still nothing to read (the message says what discovery found)."""
    if not targets.discover:
        return targets
    from edgewatch.consumers.watched import watched_queue_urls

    found: dict[str, QueueConsumers] = {}
    try:
        urls = await watched_queue_urls(runtime)
        found = await runtime.consumers.refresh(urls)
    except Exception as exc:  # discovery is a convenience: configured groups still work
        reason = describe_error(exc)
    else:
        reason = (
            "; ".join(sorted({r.explanation for r in found.values() if r.explanation}))
            or "no watched queue"
        )
    discovered = runtime.consumers.log_groups(found)
    resolved = TailTargets(tuple(dict.fromkeys((*targets.groups, *discovered))), targets.file)
    if not resolved.groups and not resolved.file:
        raise NoLogSourceError(f"{NO_SOURCE_HELP} (consumer discovery: {reason})")
    return resolved


def build_tail(
    targets: TailTargets,
    *,
    clients: AwsClients | None,
    logs: LogsSettings,
    start_ms: int | None = None,
    query: LogQuery | None = None,
    follow: bool = True,
    missing_ok: bool = False,
    file_from_end: bool = False,
    clock: Callable[[], float] = time.time,
) -> LogTail:
    """A :class:`LogTail` over ``targets`` (``clients`` is needed when there are groups).

    Without ``start_ms`` groups are read from ``DEFAULT_SINCE_S`` ago and the file whole.
    """
    if targets.discover:
        raise ValueError("discover the consumers' groups first (discover_targets)")
    query = query or LogQuery()
    fields = logs.fields.field_map()
    sources: list[LogSource] = []
    if targets.groups:
        if clients is None:
            raise ValueError("AWS clients are needed to read log groups")
        sources += [
            CloudWatchSource(
                clients,
                group,
                start_ms=(
                    start_ms if start_ms is not None else int((clock() - DEFAULT_SINCE_S) * 1000)
                ),
                query=query,
                fields=fields,
                follow=follow,
                poll_interval=logs.poll_interval,
                overlap_s=logs.overlap_s,
                missing_ok=missing_ok,
                clock=clock,
            )
            for group in targets.groups
        ]
    if targets.file:
        sources.append(
            FileSource(
                targets.file,
                query=query,
                fields=fields,
                follow=follow,
                start_ms=start_ms,
                from_end=file_from_end,
                clock=clock,
            )
        )
    return LogTail(sources)


async def tail_for_runtime(
    runtime: Runtime,
    *,
    query: LogQuery | None = None,
    since_s: float | None = DEFAULT_SINCE_S,
    follow: bool = True,
    groups: Sequence[str] = (),
    file: str | None = None,
) -> LogTail:
    """The console's tail: the configured and discovered logs, from ``since_s`` ago, followed.

    ``since_s=None``: the default backfill for groups, the whole file.
    A group that does not exist yet is waited for (a notice says so) rather than fatal.
    """
    targets = await discover_targets(
        resolve_targets(runtime.settings.logs, groups=groups, file=file), runtime
    )
    return build_tail(
        targets,
        clients=runtime.clients if targets.needs_aws else None,
        logs=runtime.settings.logs,
        start_ms=None if since_s is None else int((time.time() - since_s) * 1000),
        query=query,
        follow=follow,
        missing_ok=follow,
    )
