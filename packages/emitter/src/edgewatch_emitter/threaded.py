"""The emitter for code with no running event loop: Flask, Django, Celery, scripts, threads.

``ThreadedEmitter.emit()`` is the same O(1) append as ``Emitter.emit()`` and never waits: a
background thread owns an event loop, the emitter's sender and its connections. ``flush()`` and
``close()`` are synchronous with a deadline. At interpreter exit every open ``ThreadedEmitter``
is closed with ``atexit_timeout_s``; what misses it is counted as dropped and logged.

Fork safety: after ``os.fork()`` (a pre-fork server such as gunicorn, ``multiprocessing`` with
fork) the child must not share the parent's buffer, thread or sockets: the parent's thread does
not exist in the child, and its buffered events are the parent's to send. A fork hook gives each
child its own empty buffer, loop and thread; the parent carries on untouched. A child that
leaves through ``os._exit()`` skips atexit: call ``close()`` (or ``flush()``) first.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
import weakref
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from edgewatch_emitter.emitter import Emitter
from edgewatch_emitter.options import EmitterOptions
from edgewatch_emitter.results import EmitterStats, FlushResult
from edgewatch_emitter.rules import AttributeValue

log = logging.getLogger("edgewatch_emitter")

_live: weakref.WeakSet[ThreadedEmitter] = weakref.WeakSet()
_JOIN_GRACE_S = 2.0
T = TypeVar("T")


class ThreadedEmitter:
    """An ``Emitter`` run by a background thread; every method may be called from any thread.

    ``ThreadedEmitter(queue_url, options, **changes)`` takes the same settings as ``Emitter``.
    Use as a context manager, or keep one per process and let atexit close it.
    """

    def __init__(
        self,
        queue_url: str,
        options: EmitterOptions | None = None,
        *,
        atexit_timeout_s: float = 5.0,
        **changes: Any,
    ) -> None:
        self.queue_url = queue_url
        self.options = (options or EmitterOptions()).replace(**changes)
        self.atexit_timeout_s = atexit_timeout_s
        self.forks = 0  # how many times this process's copy was renewed after a fork
        self._closed = False
        self._boot()
        _live.add(self)

    # ------------------------------------------------------------------------------ hot path ---
    def emit(
        self,
        event: Any,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
        delay_s: int | None = None,
    ) -> None:
        """Queue ``event`` (see ``Emitter.emit``): never blocks, never raises for the network.

        (Each boot replaces this method on the instance by the running emitter's own
        ``emit``: one call, not two, on every event. This body serves only a caller that
        looked the method up on the class.)
        """
        if attributes is None and group_id is None and dedup_id is None and delay_s is None:
            self._emitter.emit(event)
        else:
            self._emitter.emit(
                event, attributes=attributes, group_id=group_id, dedup_id=dedup_id, delay_s=delay_s
            )

    # ------------------------------------------------------------------------------ lifecycle ---
    def _boot(self) -> None:
        """A fresh emitter, loop and thread for this process (at start and after a fork)."""
        self._emitter = Emitter(self.queue_url, self.options)
        self._emitter.shared = True
        # The same signature and behaviour as the method above, one call level less.
        self.emit = self._emitter.emit  # type: ignore[method-assign]
        self._loop = asyncio.new_event_loop()
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="edgewatch-emitter", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.call_soon(self._emitter.start)
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._stopped.set()

    def _after_fork_in_child(self) -> None:
        # The parent's thread is gone here, and its buffer is the parent's to send: start over.
        # (The old loop cannot be closed from here; it holds a few file descriptors.)
        self.forks += 1
        if not self._closed:
            self._boot()

    def _call(self, coro: Coroutine[Any, Any, T], wait_s: float | None) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("flush()/close() from the emitter's own thread would deadlock")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(wait_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def flush(self, timeout: float | None = None) -> FlushResult:
        """Block until what was emitted before the call is settled, or ``timeout`` passes.

        ``FlushResult.unsent`` counts the events still buffered or in flight at the deadline
        (they stay queued; a later flush may complete them).
        """
        if self._closed or not self._thread.is_alive():
            return FlushResult(complete=not self._emitter.buffered, unsent=0, stats=self.stats())
        grace = None if timeout is None else timeout + _JOIN_GRACE_S
        return self._call(self._emitter.flush(timeout), grace)

    def close(self, timeout: float | None = 10.0) -> FlushResult:
        """Stop accepting events, drain within ``timeout``, count the rest as dropped, stop."""
        if self._closed:
            return FlushResult(complete=True, unsent=0, stats=self.stats())
        self._closed = True
        _live.discard(self)
        grace = None if timeout is None else timeout + _JOIN_GRACE_S
        try:
            result: FlushResult = self._call(self._emitter.aclose(timeout), grace)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_JOIN_GRACE_S)
        return result

    def __enter__(self) -> ThreadedEmitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def discard_buffered(self) -> int:
        """Drop what is still buffered, counted as dropped (see ``Emitter.discard_buffered``)."""
        return self._emitter.discard_buffered()

    # ------------------------------------------------------------------------------ reporting ---
    @property
    def buffered(self) -> int:
        return self._emitter.buffered

    def stats(self) -> EmitterStats:
        return self._emitter.stats()


def _renew_in_child() -> None:
    for emitter in list(_live):
        emitter._after_fork_in_child()


def _close_all_at_exit() -> None:
    for emitter in list(_live):
        try:
            result = emitter.close(emitter.atexit_timeout_s)
        except Exception:
            log.exception("emitter: close at exit failed")
            continue
        if not result.complete:
            log.warning(
                "emitter: %d events not confirmed before the exit deadline (%.1f s); "
                "counted as dropped",
                result.unsent,
                emitter.atexit_timeout_s,
            )


os.register_at_fork(after_in_child=_renew_in_child)
atexit.register(_close_all_at_exit)
