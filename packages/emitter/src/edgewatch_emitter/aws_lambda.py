"""Flush before a Lambda handler returns, within the invocation's remaining time.

Lambda freezes the sandbox as soon as the handler returns: a batch still in the buffer then waits
in a frozen process, and is lost if the sandbox is reclaimed (the failure Segment's clients hit).
``flush_before_return(emitter)`` wraps a sync or async handler; ``LambdaFlush(emitter, context)``
is the same as a (sync or async) context manager. The flush deadline is
``context.get_remaining_time_in_millis()`` minus ``margin_ms``, so the handler still returns in
time. Events that miss it are counted in a ``LambdaFlushReport`` (``last_report``, the optional
``on_report`` callback, a warning log line); with ``drop_late=True`` the still-buffered ones are
discarded and counted as dropped, otherwise they stay buffered for the next invocation.

Use a ``ThreadedEmitter`` for sync handlers (``def handler(event, context)``); an ``Emitter`` or a
``ThreadedEmitter`` for handlers that run their own loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from edgewatch_emitter.emitter import Emitter
from edgewatch_emitter.results import EmitterStats, FlushResult
from edgewatch_emitter.threaded import ThreadedEmitter

log = logging.getLogger("edgewatch_emitter")

DEFAULT_MARGIN_MS = 200.0
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class LambdaFlushReport:
    """One invocation's flush: ``unsent`` events missed the deadline (``dropped`` of them
    discarded with ``drop_late``)."""

    complete: bool
    unsent: int
    dropped: int
    deadline_ms: float
    stats: EmitterStats


class LambdaFlush:
    """``with LambdaFlush(emitter, context): ...`` (or ``async with``) flushes on the way out."""

    def __init__(
        self,
        emitter: Emitter | ThreadedEmitter,
        context: Any,
        *,
        margin_ms: float = DEFAULT_MARGIN_MS,
        drop_late: bool = False,
        on_report: Callable[[LambdaFlushReport], None] | None = None,
    ) -> None:
        self.emitter = emitter
        self.context = context
        self.margin_ms = margin_ms
        self.drop_late = drop_late
        self.on_report = on_report
        self.report: LambdaFlushReport | None = None

    def deadline_s(self) -> float:
        """Seconds the flush may take: what is left of the invocation, less the margin."""
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        left_ms = float(remaining()) if callable(remaining) else 3_000.0
        return max(0.0, (left_ms - self.margin_ms) / 1000.0)

    def __enter__(self) -> LambdaFlush:
        if not isinstance(self.emitter, ThreadedEmitter):
            raise TypeError("a sync handler needs a ThreadedEmitter (an Emitter needs a loop)")
        return self

    def __exit__(self, *exc: object) -> None:
        assert isinstance(self.emitter, ThreadedEmitter)
        deadline = self.deadline_s()
        self._settle(self.emitter.flush(deadline), deadline)

    async def __aenter__(self) -> LambdaFlush:
        return self

    async def __aexit__(self, *exc: object) -> None:
        deadline = self.deadline_s()
        if isinstance(self.emitter, ThreadedEmitter):
            result = await asyncio.to_thread(self.emitter.flush, deadline)
        else:
            result = await self.emitter.flush(deadline)
        self._settle(result, deadline)

    def _settle(self, result: FlushResult, deadline: float) -> None:
        dropped = self.emitter.discard_buffered() if self.drop_late and not result.complete else 0
        report = LambdaFlushReport(
            complete=result.complete,
            unsent=result.unsent,
            dropped=dropped,
            deadline_ms=round(deadline * 1000.0, 1),
            stats=self.emitter.stats(),
        )
        self.report = report
        if not report.complete:
            log.warning(
                "emitter: %d events missed the Lambda flush deadline (%.0f ms); %s",
                report.unsent,
                report.deadline_ms,
                f"{dropped} buffered ones dropped"
                if self.drop_late
                else "they stay buffered for the next invocation",
            )
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:
                log.exception("emitter: on_report callback raised")


def flush_before_return(
    emitter: Emitter | ThreadedEmitter,
    *,
    margin_ms: float = DEFAULT_MARGIN_MS,
    drop_late: bool = False,
    on_report: Callable[[LambdaFlushReport], None] | None = None,
) -> Callable[[F], F]:
    """Decorate ``handler(event, context)`` (sync or ``async def``) to flush before it returns.

    The wrapped handler's ``last_report`` holds the latest ``LambdaFlushReport``.
    """

    def decorate(handler: F) -> F:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
                flush = LambdaFlush(
                    emitter, context, margin_ms=margin_ms, drop_late=drop_late, on_report=on_report
                )
                try:
                    async with flush:
                        return await handler(event, context, *args, **kwargs)
                finally:
                    run_async.last_report = flush.report  # type: ignore[attr-defined]

            run_async.last_report = None  # type: ignore[attr-defined]
            return run_async  # type: ignore[return-value]

        if not isinstance(emitter, ThreadedEmitter):
            raise TypeError("a sync handler needs a ThreadedEmitter (an Emitter needs a loop)")

        @functools.wraps(handler)
        def run(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            flush = LambdaFlush(
                emitter, context, margin_ms=margin_ms, drop_late=drop_late, on_report=on_report
            )
            try:
                with flush:
                    return handler(event, context, *args, **kwargs)
            finally:
                run.last_report = flush.report  # type: ignore[attr-defined]

        run.last_report = None  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


class FakeContext:
    """A stand-in for Lambda's context object (tests, local runs): ``remaining_ms`` from now."""

    def __init__(self, remaining_ms: float, function_name: str = "local") -> None:
        self.function_name = function_name
        self.aws_request_id = "local"
        self._deadline = time.monotonic() + remaining_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
