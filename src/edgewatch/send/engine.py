"""Send test events through the SigV4 emitter, the path the edge uses: the CLI's and the TUI's core.

``send_events`` paces emits (``rate``), keeps memory bounded (it waits for the emitter to drain
every ``CHUNK`` events instead of letting its buffer overflow: a test send never drops by
choice), reports progress through a callback, and returns one :class:`EventOutcome` per emitted
event with the message id SQS gave it and its emit → acknowledgement latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgewatch_emitter import DeliveryFailure, DeliveryReceipt, Emitter, EmitterOptions
from edgewatch_emitter.rules import SQS_MAX_BYTES, check_attributes, check_body, check_fifo_id

from edgewatch.aws import AwsClients, describe_error, error_code
from edgewatch.aws.errors import DENIED_CODES, NO_QUEUE_CODES
from edgewatch.identifiers import queue_name_from_url
from edgewatch.send.results import EventOutcome, QueueTarget, SendProgress, SendResult
from edgewatch.send.templates import EventSource, Outgoing

CHUNK = 1000  # events emitted before waiting for the emitter to drain
YIELD_EVERY = 10  # unpaced sends let the emitter's sender run between emits
MAX_COUNT = 100_000
TEST_ATTRIBUTE = "edgewatch.test"  # marks test events for whoever finds one in a DLQ
ATTRIBUTES = {TEST_ATTRIBUTE: "edgewatch send"}
_ATTRIBUTES_SIZE = check_attributes(ATTRIBUTES)


class SendError(Exception):
    """A problem that stops a send before anything is sent, phrased for the operator."""


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


async def resolve_queue(clients: AwsClients, name_or_url: str) -> QueueTarget:
    """A queue from its name (``GetQueueUrl``) or URL; checks that it exists."""
    sqs = await clients.sqs()
    try:
        if _is_url(name_or_url):
            url = name_or_url
        else:
            url = str((await sqs.get_queue_url(QueueName=name_or_url))["QueueUrl"])
    except Exception as exc:
        raise _queue_error(name_or_url, exc) from None
    name = queue_name_from_url(url)
    try:
        answer = await sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["FifoQueue", "MaximumMessageSize"]
        )
    except Exception as exc:
        if error_code(exc) in DENIED_CODES:  # a sender may hold sqs:SendMessage only
            return QueueTarget(name, url, name.endswith(".fifo"), SQS_MAX_BYTES)
        raise _queue_error(name_or_url, exc) from None
    attributes = answer.get("Attributes", {})
    try:
        limit = int(attributes.get("MaximumMessageSize", SQS_MAX_BYTES))
    except ValueError:
        limit = SQS_MAX_BYTES
    fifo = str(attributes.get("FifoQueue", "false")).lower() == "true"
    return QueueTarget(name, url, fifo, max(1, min(limit, SQS_MAX_BYTES)))


def _queue_error(name_or_url: str, exc: BaseException) -> SendError:
    if error_code(exc) in NO_QUEUE_CODES:
        return SendError(f"no such queue: {name_or_url}")
    return SendError(f"cannot use queue {name_or_url}: {describe_error(exc)}")


class SendControl:
    """Lets the caller stop a send: no further emits; what was emitted is still confirmed."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self.aborted = False

    def cancel(self) -> None:
        self._stop.set()

    def abort(self) -> None:
        """Stop at once: the caller cancels the task next, and :func:`send_events` turns that
        cancellation into a result (what is in flight is reported as dropped)."""
        self.aborted = True
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    async def sleep(self, delay: float) -> bool:
        """Wait ``delay`` seconds; ``False`` if cancelled meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stop.wait()
        return not self.cancelled


@dataclass(frozen=True)
class SendOptions:
    """How many events, how fast, how long to wait for the last acknowledgements."""

    count: int
    rate: float | None = None  # events per second; None: as fast as the emitter takes them
    flush_timeout_s: float = 30.0
    progress_interval_s: float = 0.1
    clock: Callable[[], float] = time.time  # stamps emitted_at (epoch seconds)
    emitter_options: dict[str, Any] = field(default_factory=dict)  # e.g. retries, for tests

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count must be 1 to {MAX_COUNT:,}")
        if self.rate is not None and not self.rate > 0:
            raise ValueError("rate must be a positive number of events per second")


class _Item:
    """What is emitted: the body, and the position the emitter's callbacks report back."""

    __slots__ = ("body", "index")

    def __init__(self, index: int, body: str) -> None:
        self.index = index
        self.body = body


def _serialize(item: _Item) -> str:
    return item.body


class _Tally:
    """Collects outcomes from the emit loop and the emitter's callbacks; reports progress."""

    def __init__(
        self,
        total: int,
        on_progress: Callable[[SendProgress], None] | None,
        interval_s: float,
    ) -> None:
        self.total = total
        self.outcomes: dict[int, EventOutcome] = {}
        self._pending: dict[int, tuple[Outgoing, float]] = {}  # index -> (event, emitted at)
        self._new: list[EventOutcome] = []
        self._counts = {"sent": 0, "failed": 0, "dropped": 0}
        self._on_progress = on_progress
        self._interval_s = interval_s
        self._last = float("-inf")
        self.emitted = 0

    def emitting(self, index: int, out: Outgoing) -> None:
        self.emitted += 1
        self._pending[index] = (out, time.perf_counter())

    def settle(self, outcome: EventOutcome) -> None:
        self._pending.pop(outcome.index, None)
        self.outcomes[outcome.index] = outcome
        self._counts[outcome.status] += 1
        self._new.append(outcome)
        self.report()

    def refuse(self, index: int, out: Outgoing, reason: str) -> None:
        """An event that failed the checks before it reached the emitter."""
        error = reason if out.line is None else f"line {out.line}: {reason}"
        self.settle(EventOutcome(index, out.request_id, "failed", error=error, line=out.line))

    def on_sent(self, receipt: DeliveryReceipt) -> None:
        index = receipt.event.index
        out, emitted_at = self._pending[index]
        self.settle(
            EventOutcome(
                index,
                out.request_id,
                "sent",
                message_id=receipt.message_id,
                ack_ms=(time.perf_counter() - emitted_at) * 1000.0,
                attempts=receipt.attempts,
                line=out.line,
            )
        )

    def on_error(self, failure: DeliveryFailure) -> None:
        status = "dropped" if failure.reason == "closed" else "failed"
        detail = failure.reason.replace("_", " ")
        if failure.code:
            detail += f" ({failure.code})"
        if failure.message and failure.reason != "closed":
            detail += f": {failure.message}"
        elif failure.reason == "closed":
            detail = "not confirmed before the deadline (it may have reached SQS)"
        for item in failure.events:
            out, _ = self._pending.get(item.index, (None, 0.0))
            self.settle(
                EventOutcome(
                    item.index,
                    out.request_id if out else None,
                    status,  # type: ignore[arg-type]  # "failed" or "dropped", set above
                    attempts=failure.attempts,
                    error=detail,
                    line=out.line if out else None,
                )
            )

    def report(self, *, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < self._interval_s:
            return
        self._last = now
        settled, self._new = tuple(self._new), []
        c = self._counts
        self._on_progress(
            SendProgress(self.total, self.emitted, c["sent"], c["failed"], c["dropped"], settled)
        )


async def send_events(
    clients: AwsClients,
    queue: QueueTarget,
    source: EventSource,
    options: SendOptions,
    *,
    on_progress: Callable[[SendProgress], None] | None = None,
    control: SendControl | None = None,
) -> SendResult:
    """Emit ``options.count`` events from ``source`` to ``queue`` and wait for their outcomes.

    Never raises for delivery trouble: it is in the outcomes. Cancelling the task abandons
    what is in flight at once (reported as dropped), and after ``control.abort()`` still
    returns the result; ``control.cancel()`` stops emitting and still waits (up to
    ``flush_timeout_s``) for what was emitted.
    """
    control = control or SendControl()
    tally = _Tally(options.count, on_progress, options.progress_interval_s)
    target = clients.target
    emitter = Emitter(
        queue.url,
        EmitterOptions.from_target(
            target,
            max_buffer=2 * CHUNK,
            max_message_bytes=queue.max_message_bytes,
            serializer=_serialize,
            on_sent=tally.on_sent,
            on_error=tally.on_error,
        ).replace(region=clients.region, **options.emitter_options),
    )
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    stopped: str | None = None
    closed = False
    final = None
    try:
        emitter.start()
        t0 = loop.time()
        for index in range(options.count):
            if control.cancelled:
                break
            if options.rate is not None:
                delay = t0 + index / options.rate - loop.time()
                if delay > 0 and not await control.sleep(delay):
                    break
            elif index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            if emitter.buffered >= CHUNK:
                drained = await emitter.flush(options.flush_timeout_s)
                if not drained.complete:
                    stopped = (
                        f"the queue did not accept events for {options.flush_timeout_s:g} s; "
                        "stopped sending"
                    )
                    break
            _emit(emitter, queue, tally, index, source.next(int(options.clock() * 1000)))
            tally.report()
        final = await emitter.aclose(options.flush_timeout_s)
        closed = True
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not control.aborted or task is None:
            raise
        task.uncancel()  # the abort asked for it: a result, not a cancelled command
    finally:
        if not closed:  # cancelled: abandon what is in flight (reported as dropped)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                final = await emitter.aclose(0)
    tally.report(force=True)
    return SendResult(
        queue=queue,
        requested=options.count,
        outcomes=tuple(tally.outcomes[i] for i in sorted(tally.outcomes)),
        elapsed_s=time.perf_counter() - started,
        rate=options.rate,
        cancelled=control.cancelled,
        stopped=stopped,
        emitter=final.stats if final is not None else emitter.stats(),
    )


def _emit(emitter: Emitter, queue: QueueTarget, tally: _Tally, index: int, out: Outgoing) -> None:
    """Check what SQS would refuse (so the event fails with its line), then emit it."""
    tally.emitting(index, out)
    try:
        check_body(out.body, queue.max_message_bytes, _ATTRIBUTES_SIZE)
        if queue.fifo:
            check_fifo_id(out.group_id, "the FIFO group id")
        emitter.emit(
            _Item(index, out.body),
            attributes=ATTRIBUTES,
            group_id=out.group_id if queue.fifo else None,
        )
    except ValueError as exc:
        tally.refuse(index, out, str(exc))
