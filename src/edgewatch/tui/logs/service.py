"""The app's one log tail: a Textual worker reads it, the app ingests, screens and chart listen.

One tail per app (not per screen), so the latency chart fills while the Logs screen is closed and
opening the screen shows the lines already buffered. The worker posts :class:`LogBatchReady`
and waits until the app has handled it before reading on: while the UI is busy the tail's own
queue fills and its sources stop reading (back-pressure, as in toolong), and whatever queued up
meanwhile arrives as one coalesced batch, so the UI does one update per burst, not per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.signal import Signal
from textual.timer import Timer

from edgewatch.logs.feed import CHART_HISTORY_S, LogFeed
from edgewatch.logs.models import LogBatch
from edgewatch.logs.search import LogQuery
from edgewatch.logs.tail import (
    LogTail,
    NoLogSourceError,
    resolve_targets,
    tail_for_runtime,
)
from edgewatch.runtime import Runtime
from edgewatch.tui.dashboard.latency_chart import ChartData

if TYPE_CHECKING:
    from textual.app import App

TAIL_GROUP = "log-tail"
TICK_S = 1.0  # latency points are per second; the chart redraws at most this often
NOT_STARTED = (
    "no log source yet: the consumers' log groups are found from the queues, or set logs.groups"
)
REQUEST_SEARCH_S = 24 * 3600.0  # how far back a request-ID jump looks (older than the buffer)


class LogBatchReady(Message):
    """The tail worker read a batch; the app ingests it (``@on``) and releases the worker."""

    def __init__(self, batch: LogBatch) -> None:
        super().__init__()
        self.batch = batch
        self.received_at = time.perf_counter()  # for the benchmark's handler lag


class LogService:
    """Owns the tail worker, the per-second latency tick and the :class:`LogFeed`.

    Views subscribe to :attr:`lines` (each handled batch, published synchronously so that a
    batch counts as handled once every view has it) and :attr:`ticked` (once a second).
    """

    def __init__(
        self, app: App[Any], runtime: Runtime, *, clock: Callable[[], float] = time.time
    ) -> None:
        settings = runtime.settings
        self.app = app
        self.runtime = runtime
        self.clock = clock
        self.slo_ms = settings.latency.slo_ms
        self.window_s = settings.latency.window_s
        self.feed = LogFeed(buffer_lines=settings.logs.buffer_lines, window_s=self.window_s)
        self.lines: Signal[LogBatch] = Signal(app, "log-lines")
        self.ticked: Signal[None] = Signal(app, "latency-tick")
        self._tail: LogTail | None = None
        self._timer: Timer | None = None
        self._released = asyncio.Event()
        targets = resolve_targets(settings.logs)
        file = (targets.file,) if targets.file else ()
        self.feed.sources = (*targets.groups, *file)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self.feed.unavailable is None

    def start(self, tail: LogTail | None = None, *, tick: bool = True) -> None:
        """Start reading (``tail``: injected by tests and the benchmark) and ticking.

        Without a tail, the worker first finds the consumers' log groups (discovery), then
        reads them with the configured ones; nothing to read is said in the feed.
        """
        if tail is not None:
            self._tail = tail
        self.feed.started = True
        self.feed.failed = None
        if tick and self._timer is None:
            self._timer = self.app.set_interval(TICK_S, self.tick, name="latency-tick")
        self.app.run_worker(
            self._read(tail),
            name="log-tail",
            group=TAIL_GROUP,
            description="LogTail",
            exclusive=True,
            exit_on_error=False,
        )
        self._changed()

    def restart(self) -> bool:
        """``r`` after the tail (or one of its sources) stopped on an error: read again from a
        fresh tail, once the cause is gone. A healthy tail is left alone."""
        source_died = self._tail is not None and bool(self._tail.errors)
        if not self.available or (self.feed.failed is None and not source_died):
            return False
        self.feed.notices = {k: n for k, n in self.feed.notices.items() if n.kind != "error"}
        self.start(tick=False)  # a running tick timer keeps running
        return True

    async def _open(self) -> LogTail | None:
        try:
            tail = await tail_for_runtime(self.runtime)
        except NoLogSourceError as exc:
            self.feed.unavailable = str(exc)
            self.app.call_later(self._changed)
            return None
        self.feed.sources = tuple(source.name for source in tail.sources)
        self._tail = tail
        if self.feed.paused:
            tail.pause()
        self.app.call_later(self._changed)
        return tail

    async def _read(self, tail: LogTail | None) -> None:
        """The worker: one batch in flight to the UI at a time; errors become a status line."""
        try:
            if tail is None:
                tail = await self._open()
                if tail is None:
                    return
            async for batch in tail:
                self._released.clear()
                if not self.app.post_message(LogBatchReady(batch)):
                    break  # the app is closing
                await self._released.wait()
            else:
                if tail.errors:  # every source ended, on errors: stopped, not "following"
                    self.feed.failed = "; ".join(f"{n.source}: {n.message}" for n in tail.errors)
                    self.app.call_later(self._changed)
        except Exception as exc:  # never a traceback: the Logs screen says it
            self.feed.failed = f"{type(exc).__name__}: {exc}"
            self.app.call_later(self._changed)
        finally:
            if tail is not None:
                with contextlib.suppress(Exception):
                    await tail.aclose()

    def handle(self, message: LogBatchReady) -> None:
        """Ingest a batch and hand it to every view, then let the worker read on."""
        try:
            self.ingest(message.batch)
        finally:
            self._released.set()

    def ingest(self, batch: LogBatch) -> None:
        """Also the entry point for tests: feed a batch as if the tail had read it."""
        self.feed.ingest(batch)
        self.lines.publish(batch)

    def tick(self, now: float | None = None) -> None:
        """Close the latency seconds up to ``now`` (default: the app clock) and redraw."""
        self.feed.latency.tick(self.clock() if now is None else now)
        self.ticked.publish(None)

    def chart_data(self) -> ChartData:
        """What the chart shows now: the series, or why there is none."""
        feed = self.feed
        waiting = None
        status = feed.status()
        if feed.paused:
            waiting = "log tail paused"
        elif status.level != "ok":
            waiting = status.text
        elif not feed.buffer.total:
            waiting = "waiting for worker log lines…"
        stats = feed.latency
        return ChartData(
            series=stats.series(),
            now=self.clock(),
            window_s=self.window_s,
            history_s=CHART_HISTORY_S,
            slo_ms=self.slo_ms,
            message=feed.unavailable
            or (NOT_STARTED if not feed.started and not feed.sources else None),
            waiting=waiting,
            latency_unavailable=stats.unavailable("latency"),
            lag_unavailable=stats.unavailable("queue_lag"),
            latency_title=(
                "invocation duration" if stats.latency_source == "duration" else "worker latency"
            ),
            counts=stats.counts(),
        )

    def redraw(self) -> None:
        """Redraw the chart with what the statistics hold now (no new point)."""
        self.ticked.publish(None)

    def _changed(self) -> None:
        """Health or pause changed: views re-read the feed's status (no lines)."""
        self.lines.publish(LogBatch())

    # -- control -------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self.feed.paused

    def pause(self) -> None:
        """Stop the tail's reads (CloudWatch calls too); lines already read still arrive."""
        self.feed.paused = True
        if self._tail is not None:
            self._tail.pause()
        self._changed()

    def resume(self) -> None:
        self.feed.paused = False
        if self._tail is not None:
            self._tail.resume()
        self._changed()

    async def search(self, query: LogQuery) -> LogTail | None:
        """A one-shot search of the sources for lines older than the live buffer."""
        if not self.available or not self.feed.started:
            return None
        try:
            return await tail_for_runtime(
                self.runtime, query=query, since_s=REQUEST_SEARCH_S, follow=False
            )
        except NoLogSourceError:
            return None

    async def aclose(self) -> None:
        """Stop ticking, cancel the worker (the tail cancels its in-flight requests)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._released.set()
        for worker in self.app.workers.cancel_group(self.app, TAIL_GROUP):
            with contextlib.suppress(Exception):
                await worker.wait()
        if self._tail is not None:
            await self._tail.aclose()
