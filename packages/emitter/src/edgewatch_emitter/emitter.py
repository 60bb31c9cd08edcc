"""The fire-and-forget SQS emitter: ``emit()`` appends to a bounded buffer, a task drains it.

``emit()`` is the Python form of the edge's ``ctx.waitUntil(send(event))``: synchronous, O(1),
no network, no exception for transport trouble. It only validates what SQS would refuse anyway
(so a bad event fails loudly at the call site, not silently minutes later) and appends one object
to a deque. A background task takes batches of ≤ 10 entries and ≤ 1 MiB, serialises them, and
sends several at once; each batch retries in its own task with backoff and full jitter, so a slow
batch never holds back the others (except on FIFO queues, which send one batch at a time to keep
group order). Every event ends in exactly one of ``sent``, ``failed`` or ``dropped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from edgewatch_emitter.backoff import CircuitBreaker
from edgewatch_emitter.batch import classify_batch
from edgewatch_emitter.credentials import CredentialSource, resolve_region_blocking, run_blocking
from edgewatch_emitter.options import EmitterOptions, Overflow
from edgewatch_emitter.results import (
    DeliveryFailure,
    DeliveryReceipt,
    EmitterStats,
    FlushResult,
    LatencyWindow,
)
from edgewatch_emitter.rules import (
    MAX_BATCH_ENTRIES,
    SQS_MAX_BYTES,
    AttributeValue,
    check_attributes,
    check_body,
    check_delay,
    check_fifo_id,
    check_text,
    encode_attributes,
    utf8_size,
)
from edgewatch_emitter.serialize import DICT_CHUNKS, default_serializer
from edgewatch_emitter.sqs_json import (
    Answer,
    SqsJsonClient,
    entry_fragment,
    json_text_fragment,
)
from edgewatch_emitter.wire import AsyncioTransport

log = logging.getLogger("edgewatch_emitter")

_NEVER = 1 << 62
_LOG_EVERY_S = 10.0
_REGION_IN_HOST = (
    re.compile(r"(?:^|\.)sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com"),
    re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com"),
)
DEFAULT_REGION = "us-east-1"

__all__ = ["Emitter", "EmitterOptions", "Overflow", "default_serializer"]


class _Envelope:
    """An event with options; plain events are buffered as themselves (no allocation)."""

    __slots__ = ("attributes", "dedup", "delay", "event", "group")

    def __init__(
        self,
        event: Any,
        attributes: dict[str, AttributeValue] | None,
        group: str | None,
        dedup: str | None,
        delay: int | None,
    ) -> None:
        self.event = event
        self.attributes = attributes
        self.group = group
        self.dedup = dedup
        self.delay = delay


class _Prepared:
    """A serialised entry put back at the head of the buffer (it did not fit in a batch's
    bytes): the next batch takes it without serialising the event again."""

    __slots__ = ("event", "fragment", "size")

    def __init__(self, event: Any, fragment: str, size: int) -> None:
        self.event = event
        self.fragment = fragment
        self.size = size


class _Flight:
    """One batch in flight; ``start`` is its position in the buffer's history (for flush).

    ``events`` and ``fragments`` are parallel: an entry is its event (for reports and
    receipts) and its JSON without the ``Id`` (``SqsJsonClient.send_entries``), escaped once
    however often it is retried. Entries leave both together as they are settled. Every entry
    of a flight has been tried as often as the others (retries stay in the flight), so one
    count serves them all; there is no object per entry on the common path.
    """

    __slots__ = ("attempts", "events", "fragments", "start", "task")

    def __init__(self, start: int, events: list[Any], fragments: list[str]) -> None:
        self.start = start
        self.events = events
        self.fragments = fragments
        self.attempts = 0
        self.task: asyncio.Task[None] | None = None


class Emitter:
    """Fire-and-forget, batched, signed, retried delivery of events to one SQS queue.

    Use as ``async with Emitter(url) as emitter: emitter.emit({...})``, or call ``start()`` in a
    running loop and ``await aclose()`` at shutdown. ``emit()`` may be called from other threads;
    everything else belongs to the loop that started the emitter (``ThreadedEmitter`` runs one
    in a thread of its own for code without a loop). Settings are an ``EmitterOptions``;
    keyword arguments change single options of it (``Emitter(url, max_buffer=50_000)``).
    """

    def __init__(
        self, queue_url: str, options: EmitterOptions | None = None, **changes: Any
    ) -> None:
        # What emit()'s fast path reads, first: neighbours in the instance's value array, so a
        # call with cold caches (the common case in a service) loads fewer cache lines.
        self._buffer: deque[Any] = deque()
        self._room = 0  # set below
        self._wake_at = 1  # the first emit in a running loop starts the drainer
        # With a full buffer, emit()'s fast path drops lock-free when only the loop's thread
        # emits, the emitter is open and no flush waits; else it takes the full path.
        self._drop_oldest_here = False
        self._drop_newest_here = False
        self._overflow_shared = False
        # Drops of the oldest event by that fast path not yet added to _dropped and _taken: a
        # small int (CPython keeps 0..256 preallocated, so counting allocates nothing), folded
        # in at 256 and before any reader of the two (``_fold_drops``).
        self._drop_tick = 0
        self._flush_waiters = 0
        parts = urlsplit(queue_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.strip("/"):
            raise ValueError(f"not a queue URL: {queue_url!r}")
        opts = (options or EmitterOptions()).replace(**changes)
        self.options = opts
        self.queue_url = queue_url
        self._fifo = parts.path.rstrip("/").endswith(".fifo")
        self._endpoint_url = (opts.endpoint_url or f"{parts.scheme}://{parts.netloc}").rstrip("/")
        self._region = opts.region or _region_from_host(parts.hostname or "")
        self._profile = opts.profile
        self._credentials = CredentialSource(opts.credentials, opts.profile)
        self._max_buffer = opts.max_buffer
        self._drop_newest = opts.overflow == "drop_newest"
        self._linger_s = max(0.0, opts.linger_ms / 1000.0)
        # FIFO order within a group holds only if batches leave one at a time.
        self._max_in_flight = 1 if self._fifo else opts.max_in_flight
        self._max_retries = opts.max_retries
        self._backoff = opts.backoff
        self._discover_size = opts.max_message_bytes is None
        self._max_message_bytes = opts.max_message_bytes or SQS_MAX_BYTES
        self._on_error = opts.on_error
        self._on_sent = opts.on_sent
        self._group_id_fn = opts.group_id_fn
        self._dedup_id_fn = opts.dedup_id_fn
        self._generate_dedup = self._fifo and not opts.content_based_dedup
        self._serializer = opts.serializer
        self._http_client: Any = opts.http_client
        self._owns_http = opts.http_client is None
        self._breaker = CircuitBreaker(opts.breaker_threshold, opts.breaker_cooldown_s)
        self._rng = random.Random()
        self._dedup_prefix = secrets.token_hex(8)
        self._dedup_counter = 0

        # emit()'s fast path takes a plain dict while the buffer holds fewer than this: the
        # bound, or 0 (always the full path) on a FIFO queue and once closed.
        self._room = 0 if self._fifo else self._max_buffer
        # Held only off the hot path: overflow in emit(), the sender taking a batch, close.
        self._mutex = threading.Lock()
        # Emitted to from several threads: the overflow path then takes the lock. Set by
        # ThreadedEmitter, and on the first wake-up from a thread other than the loop's.
        self._shared = False
        self._taken = 0  # events that have left the buffer (batched or dropped as oldest)
        self._sent = 0
        self._failed = 0
        self._dropped = 0
        self._retried = 0
        self._requests = 0
        self._latency = LatencyWindow()
        self._flights: set[_Flight] = set()
        self._flushing = 0

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._wake_event: asyncio.Event | None = None
        self._progress: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._discovery: asyncio.Task[None] | None = None
        self._client: SqsJsonClient | None = None
        self._closed = False
        self._set_full_mode()
        self._closing: asyncio.Future[FlushResult] | None = None
        self._abandoning = False
        self._logged_drops = 0
        self._last_drop_log = -_LOG_EVERY_S
        self._last_failure_log = -_LOG_EVERY_S

    @property
    def shared(self) -> bool:
        """Emitted to from several threads: the overflow path then takes the lock. Set by
        ThreadedEmitter, and on the first wake-up from a thread other than the loop's."""
        return self._shared

    @shared.setter
    def shared(self, value: bool) -> None:
        self._shared = value
        self._set_full_mode()

    def _set_full_mode(self) -> None:
        here = self._drainer is not None and not (
            self._shared or self._closed or self._fifo or self._flush_waiters
        )
        self._drop_oldest_here = here and not self._drop_newest
        self._drop_newest_here = here and self._drop_newest
        self._overflow_shared = self._shared and not self._fifo  # straight to the lock

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
        """Queue ``event`` (a dict or other JSON-able object, str, or UTF-8 bytes) for SQS.

        Raises ValueError at once for what SQS would refuse; never raises or waits for transport
        trouble. Dicts are serialised later, in the background: do not mutate one after emitting
        it, and note its size can only be checked then (``on_error`` reports ``too_large``).
        """
        # The common call (a plain dict, no options, room in the buffer) as few steps as can
        # be: its slowest calls are the ones that run with cold caches (the first after the
        # service did other work), and every load counts there.
        if (
            type(event) is dict
            and attributes is None
            and group_id is None
            and dedup_id is None
            and delay_s is None
        ):
            buffer = self._buffer
            if len(buffer) < self._room:
                buffer.append(event)
                if len(buffer) >= self._wake_at:  # the sender sleeps (idle): wake it
                    self._wake()
                return
            # A full buffer (the endpoint slow or down). No wake-up to check: the drainer
            # never goes to sleep on a non-empty buffer.
            if self._drop_oldest_here:
                buffer.popleft()
                buffer.append(event)
                self._drop_tick += 1
                if self._drop_tick == 256:
                    self._fold_drops()
                return
            if self._drop_newest_here:
                self._dropped += 1
                return
            if self._overflow_shared:  # several threads emit: under the lock
                self._overflow(event)
                return
        self._emit(event, attributes, group_id, dedup_id, delay_s)

    def _emit(
        self,
        event: Any,
        attributes: Mapping[str, AttributeValue] | None,
        group_id: str | None,
        dedup_id: str | None,
        delay_s: int | None,
    ) -> None:
        """``emit()``'s full path: options, str or bytes events, FIFO, a full or closed buffer."""
        kind = type(event)
        if kind is str:
            body: str | None = event
        elif kind is dict:
            body = None
        elif isinstance(event, bytes | bytearray | memoryview):
            try:
                event = body = bytes(event).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("bytes events must be UTF-8 text (SQS bodies are text)") from None
        elif isinstance(event, str):
            event = body = str(event)
        else:
            body = None
        extra = 0
        attrs: dict[str, AttributeValue] | None = None  # a copy: the caller's mapping may change
        if attributes:
            attrs = dict(attributes)
            extra = check_attributes(attrs)
        if body is not None:
            check_body(body, self._max_message_bytes, extra)
        if self._fifo:
            group = group_id if group_id is not None else self._group_of(event)
            check_fifo_id(group, "group_id")
            if dedup_id is None and self._dedup_id_fn is not None:
                dedup_id = self._dedup_id_fn(event)
            if dedup_id is not None:
                check_fifo_id(dedup_id, "dedup_id")
            if delay_s is not None:
                raise ValueError("FIFO queues take no per-message delay (set DelaySeconds)")
            item: Any = _Envelope(event, attrs, group, dedup_id, None)
        elif attributes or group_id is not None or dedup_id is not None or delay_s is not None:
            if dedup_id is not None:
                raise ValueError("dedup_id applies to FIFO queues only")
            if group_id is not None:
                check_fifo_id(group_id, "group_id")
            delay = check_delay(delay_s) if delay_s is not None else None
            item = _Envelope(event, attrs, group_id, None, delay)
        else:
            item = event
        buffer = self._buffer
        if len(buffer) >= self._max_buffer or self._closed:
            if self.shared:
                self._overflow(item)  # other threads emit too: under the lock
                return
            # On the loop's own thread nothing runs in between: the same steps, lock-free.
            self._dropped += 1
            if self._closed or self._drop_newest:
                return
            buffer.popleft()
            self._taken += 1
            if self._flush_waiters:
                self._signal_progress()
        buffer.append(item)
        if len(buffer) >= self._wake_at:
            self._wake()

    def _overflow(self, item: Any) -> None:
        """The slow path of ``emit()``: a full buffer or a closed emitter (counted, never silent).

        Under the lock, because other threads emit and the sender pops concurrently: the
        counters must add up (every event ends sent, failed or dropped).
        """
        buffer = self._buffer
        with self._mutex:
            if self._closed:
                self._dropped += 1
                return
            if len(buffer) >= self._max_buffer:
                self._dropped += 1
                if self._drop_newest:
                    return
                if buffer:
                    buffer.popleft()
                    self._taken += 1
            buffer.append(item)
        if self._flush_waiters:
            self._wake_from_any_thread(progress=True)
        if len(buffer) >= self._wake_at:
            self._wake()

    def _fold_drops(self) -> None:
        """Add the fast path's pending drops to the counters (on the loop's thread)."""
        tick = self._drop_tick
        if tick:
            self._drop_tick = 0
            self._dropped += tick
            self._taken += tick

    def _group_of(self, event: Any) -> str:
        if self._group_id_fn is None:
            raise ValueError("a FIFO queue needs a group id: pass group_id= or set group_id_fn")
        return self._group_id_fn(event)

    def _wake(self) -> None:
        self._wake_at = _NEVER
        if self._drainer is None:
            self._autostart()
        else:
            self._wake_from_any_thread(progress=False)

    def _wake_from_any_thread(self, progress: bool) -> None:
        if self._loop is None:
            return
        setter = self._signal_progress if progress else self._set_wake
        if threading.get_ident() == self._thread_id:
            setter()
        else:
            self.shared = True  # emitted to from another thread: overflow takes the lock now
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._loop.call_soon_threadsafe(setter)

    def _set_wake(self) -> None:
        if self._wake_event is not None:
            self._wake_event.set()

    def _autostart(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._wake_at = 1  # not in a loop (yet): the next emit in one starts the drainer
            return
        self.start()

    # ------------------------------------------------------------------------------ lifecycle ---
    def start(self) -> None:
        """Start the background sender on the running loop (idempotent)."""
        if self._drainer is not None or self._closed:
            return
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._thread_id = threading.get_ident()
        self._wake_event = asyncio.Event()
        self._progress = asyncio.Event()
        self._slots = asyncio.Semaphore(self._max_in_flight)
        self._wake_at = _NEVER
        self._drainer = loop.create_task(self._drain(), name="edgewatch-emitter")
        self._drainer.add_done_callback(self._drainer_done)
        self._set_full_mode()

    async def __aenter__(self) -> Emitter:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def flush(self, timeout: float | None = 10.0) -> FlushResult:
        """Wait until every event emitted before this call is sent, failed or dropped.

        Returns at the deadline even if the endpoint hangs; ``unsent`` counts what was still
        buffered or in flight then (it stays queued: a later flush may complete it).
        """
        if self._drainer is None and self._buffer:
            self.start()
        with self._mutex:
            self._fold_drops()
            target = self._taken + len(self._buffer)
        if self._drainer is None:
            return self._flush_result(target)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self._flushing += 1
        self._flush_waiters += 1
        self._set_full_mode()  # a full buffer's drops then signal this flush (the full path)
        self._set_wake()  # cut a linger short
        try:
            while not self._settled(target):
                progress = self._progress
                assert progress is not None
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        await progress.wait()
                except TimeoutError:
                    break
        finally:
            self._flushing -= 1
            self._flush_waiters -= 1
            self._set_full_mode()
        return self._flush_result(target)

    async def aclose(self, timeout: float | None = 10.0) -> FlushResult:
        """Stop accepting events, drain within ``timeout``, then abandon and report the rest.

        Abandoned events are counted as dropped and passed to ``on_error`` (reason ``closed``);
        those that were in flight may still have reached SQS.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close(timeout))
        return await self._closing

    async def _close(self, timeout: float | None) -> FlushResult:
        if self._drainer is None and self._buffer:
            self.start()  # events emitted before any loop ran: send them now
        self._closed = True  # from here on, emit() counts events as dropped
        self._room = 0
        self._set_full_mode()
        result = await self.flush(timeout)
        self._abandoning = True
        tasks = [t for t in (self._drainer, self._discovery) if t is not None]
        tasks += [f.task for f in self._flights if f.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with self._mutex:
            abandoned = [_original(item) for item in self._buffer]
            self._buffer.clear()
        for flight in list(self._flights):
            abandoned += flight.events
        self._flights.clear()
        self._log_drops(force=True)
        if abandoned:
            self._dropped += len(abandoned)
            self._logged_drops += len(abandoned)  # reported below, not an overflow
            self._report(
                DeliveryFailure(
                    reason="closed",
                    code=None,
                    message=(
                        f"{len(abandoned)} events not confirmed before the close deadline "
                        "(any that were in flight may have reached SQS)"
                    ),
                    events=tuple(abandoned),
                ),
                count=False,
            )
        if self._owns_http and self._http_client is not None:
            await self._http_client.aclose()
        return FlushResult(
            complete=result.complete and not abandoned, unsent=len(abandoned), stats=self.stats()
        )

    def discard_buffered(self) -> int:
        """Drop what is still buffered (not what is in flight); returns and counts how many.

        For a caller that must not leave events behind, e.g. a Lambda sandbox about to freeze:
        they are counted as dropped and passed to ``on_error`` (reason ``closed``).
        """
        with self._mutex:
            self._fold_drops()
            abandoned = [_original(item) for item in self._buffer]
            self._taken += len(self._buffer)
            self._buffer.clear()
            self._dropped += len(abandoned)
            self._logged_drops += len(abandoned)  # reported below, not an overflow
        if abandoned:
            self._report(
                DeliveryFailure(
                    "closed", None, f"{len(abandoned)} buffered events discarded", tuple(abandoned)
                ),
                count=False,
            )
        if self._flush_waiters:
            self._wake_from_any_thread(progress=True)
        return len(abandoned)

    # ------------------------------------------------------------------------------ reporting ---
    @property
    def max_message_bytes(self) -> int:
        """The size limit in force (the queue's ``MaximumMessageSize`` once discovered)."""
        return self._max_message_bytes

    @property
    def fifo(self) -> bool:
        return self._fifo

    @property
    def buffered(self) -> int:
        """Events waiting in the buffer (cheap; for producers that want to shed load early)."""
        return len(self._buffer)

    def stats(self) -> EmitterStats:
        """A snapshot; safe to call from any thread (e.g. a metrics exporter)."""
        return EmitterStats(
            buffered=len(self._buffer),
            in_flight=sum(len(f.events) for f in list(self._flights)),
            sent=self._sent,
            retried=self._retried,
            failed=self._failed,
            dropped=self._dropped + self._drop_tick,
            requests=self._requests,
            send_latency_p50_ms=self._latency.percentile_ms(0.50),
            send_latency_p99_ms=self._latency.percentile_ms(0.99),
            breaker_open=self._breaker.is_open,
        )

    def _settled(self, target: int) -> bool:
        self._fold_drops()
        return self._taken >= target and not any(f.start < target for f in self._flights)

    def _flush_result(self, target: int) -> FlushResult:
        self._fold_drops()
        unsent = max(0, target - self._taken) + sum(
            len(f.events) for f in self._flights if f.start < target
        )
        return FlushResult(complete=unsent == 0, unsent=unsent, stats=self.stats())

    def _signal_progress(self) -> None:
        progress = self._progress
        if progress is not None:
            self._progress = asyncio.Event()
            progress.set()

    def _report(self, failure: DeliveryFailure, count: bool = True) -> None:
        if count:
            self._failed += len(failure.events)
        now = time.monotonic()
        if now - self._last_failure_log >= _LOG_EVERY_S:
            self._last_failure_log = now
            log.warning(
                "emitter: %d events not delivered (%s%s): %s",
                len(failure.events),
                failure.reason,
                f", {failure.code}" if failure.code else "",
                failure.message,
            )
        if self._on_error is not None:
            try:
                self._on_error(failure)
            except Exception:
                log.exception("emitter: on_error callback raised")

    @staticmethod
    def _acknowledge(
        on_sent: Callable[[DeliveryReceipt], None],
        event: Any,
        attempts: int,
        item: Mapping[str, Any],
    ) -> None:
        sequence = item.get("SequenceNumber")
        receipt = DeliveryReceipt(
            event,
            str(item.get("MessageId") or ""),
            str(sequence) if sequence is not None else None,
            attempts,
        )
        try:
            on_sent(receipt)
        except Exception:
            log.exception("emitter: on_sent callback raised")

    def _log_drops(self, force: bool = False) -> None:
        self._fold_drops()
        dropped = self._dropped
        if dropped == self._logged_drops:
            return
        now = time.monotonic()
        if force or now - self._last_drop_log >= _LOG_EVERY_S:
            log.warning(
                "emitter: dropped %d events since the last report (%d in total; buffer bound %d, "
                "overflow %s)",
                dropped - self._logged_drops,
                dropped,
                self._max_buffer,
                "drop_newest" if self._drop_newest else "drop_oldest",
            )
            self._logged_drops = dropped
            self._last_drop_log = now

    def _drainer_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("emitter: sender task died", exc_info=task.exception())

    # ------------------------------------------------------------------------------ background --
    def _open_client(self, region: str) -> SqsJsonClient:
        if self._http_client is None:
            self._http_client = AsyncioTransport(
                max_connections=self._max_in_flight, ca_bundle=self.options.ca_bundle
            )
        return SqsJsonClient(
            queue_url=self.queue_url,
            endpoint_url=self._endpoint_url,
            region=region,
            credentials=self._credentials,
            http=self._http_client,
            timeout_s=self.options.request_timeout_s,
        )

    async def _drain(self) -> None:
        region = self._region
        if region is None:
            region = await run_blocking(resolve_region_blocking, self._profile)
        self._client = self._open_client(region or DEFAULT_REGION)
        if self._discover_size:
            self._discovery = asyncio.create_task(self._discover_limits())
        slots = self._slots
        assert slots is not None
        linger = self._linger_s
        lingered = False
        while True:
            self._log_drops()
            if not self._buffer:
                # Poll after a linger before waiting to be woken: while traffic keeps coming
                # (any event during the last linger, even one a batch task took at once),
                # emit() never has to wake this task (a wake is the costliest thing it can
                # do); only the first event after a quiet spell does.
                if linger:
                    seen = self._taken
                    await self._sleep_until(_NEVER, linger)
                    lingered = True
                    if self._taken != seen:
                        continue
                if not self._buffer:
                    await self._sleep_until(1, None)
                    lingered = False
                continue
            if len(self._buffer) < MAX_BATCH_ENTRIES and linger and not lingered:
                await self._sleep_until(_NEVER, linger)  # let a batch fill; flush() cuts it short
            lingered = False
            if self._breaker.is_open:  # (a closed breaker needs no await: the common case)
                await self._breaker.wait_ready()
            await slots.acquire()
            flight = self._take_batch()
            if self._flush_waiters:
                self._signal_progress()
            if flight is None:
                slots.release()
                continue
            self._flights.add(flight)
            flight.task = asyncio.create_task(self._fly(flight))

    async def _sleep_until(self, count: int, timeout: float | None) -> None:
        event = self._wake_event
        assert event is not None
        event.clear()
        self._wake_at = count
        try:
            if len(self._buffer) >= count or (self._flushing and self._buffer):
                return
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass
        finally:
            self._wake_at = _NEVER

    def _take_batch(self) -> _Flight | None:
        """The next batch off the buffer, serialised (None if nothing in it could be sent)."""
        buffer = self._buffer
        with self._mutex:  # the pops and the count move together (emit() may drop meanwhile)
            self._fold_drops()
            start = self._taken
            items = [buffer.popleft() for _ in range(min(len(buffer), MAX_BATCH_ENTRIES))]
            self._taken += len(items)
        events: list[Any] = []
        fragments: list[str] = []
        total = 0
        encode = DICT_CHUNKS
        fast = self._serializer is default_serializer and encode is not None
        limit = self._max_message_bytes
        join = "".join
        for position, item in enumerate(items):
            event = item
            if fast and type(item) is dict:
                # The common event: our serialiser's ASCII JSON (its size is its length).
                try:
                    body = join(encode(item, 0))  # default_serializer, inline
                except Exception:
                    body = ""  # the full path below reports it
                size = len(body)
                if 0 < size <= limit:
                    # json_text_fragment, inline: this loop runs once per event.
                    if "\\" in body:
                        body = body.replace("\\", "\\\\")
                    escaped = body.replace('"', '\\"')
                    fragment = f'"MessageBody":"{escaped}"}}'
                else:
                    prepared = self._prepare(item)
                    if prepared is None:
                        continue
                    fragment, size = prepared.fragment, prepared.size
            else:
                prepared = item if type(item) is _Prepared else self._prepare(item)
                if prepared is None:
                    continue
                event, fragment, size = prepared.event, prepared.fragment, prepared.size
            if events and total + size > SQS_MAX_BYTES:
                # This one and the rest open the next batch (this one already serialised).
                rest = [_Prepared(event, fragment, size), *items[position + 1 :]]
                with self._mutex:
                    buffer.extendleft(reversed(rest))
                    self._taken -= len(rest)
                break
            events.append(event)
            fragments.append(fragment)
            total += size
        return _Flight(start, events, fragments) if events else None

    def _prepare(self, item: Any) -> _Prepared | None:
        if type(item) is _Envelope:
            event, attributes, group, dedup, delay = (
                item.event,
                item.attributes,
                item.group,
                item.dedup,
                item.delay,
            )
        else:
            event, attributes, group, dedup, delay = item, None, None, None, None
        if type(event) is str:
            body = event
        else:
            try:
                raw = self._serializer(event)
                body = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                if not body:
                    raise ValueError("serializer returned an empty body")
                if self._serializer is not default_serializer:  # ours escapes to ASCII JSON
                    check_text(body, "serialised event")
            except Exception as exc:
                self._report(
                    DeliveryFailure(
                        "unserializable", None, f"{type(exc).__name__}: {exc}"[:300], (event,)
                    )
                )
                return None
        extra = check_attributes(attributes) if attributes else 0
        size = utf8_size(body) + extra
        if size > self._max_message_bytes:
            self._report(
                DeliveryFailure(
                    "too_large",
                    "MessageTooLong",
                    f"message of {size} bytes exceeds the queue's maximum of "
                    f"{self._max_message_bytes}",
                    (event,),
                )
            )
            return None
        entry: dict[str, Any] = {"MessageBody": body}
        if attributes:
            entry["MessageAttributes"] = encode_attributes(attributes)
        if delay is not None:
            entry["DelaySeconds"] = delay
        if group is not None:
            entry["MessageGroupId"] = group
        if dedup is None and self._generate_dedup:
            self._dedup_counter += 1
            dedup = f"{self._dedup_prefix}-{self._dedup_counter}"
        if dedup is not None:
            entry["MessageDeduplicationId"] = dedup
        if len(entry) == 1 and self._serializer is default_serializer and type(event) is not str:
            return _Prepared(event, json_text_fragment(body), size)
        return _Prepared(event, entry_fragment(entry), size)

    async def _fly(self, flight: _Flight) -> None:
        """Send one batch until every entry is sent or failed; retries stay in this task.

        Then, while a full batch is waiting and the breaker is closed, take it and send it from
        this same task, keeping its slot: under load a batch costs no new task and no wake-up
        of the drainer (which still handles partial batches, lingering and the breaker).
        """
        client = self._client
        assert client is not None and self._slots is not None
        try:
            while True:
                try:
                    while flight.fragments:
                        breaker = self._breaker
                        probe = await breaker.acquire() if breaker.is_open else False
                        try:
                            answer = await client.send_entries(flight.fragments)
                        except BaseException:
                            self._breaker.release(probe)
                            raise
                        self._requests += 1
                        if answer.elapsed_s is not None:
                            self._latency.add(answer.elapsed_s)
                        retry = self._settle(flight, answer, probe)
                        if retry is None:
                            break
                        flight.events = [flight.events[i] for i in retry]
                        flight.fragments = [flight.fragments[i] for i in retry]
                        flight.attempts += 1
                        if flight.attempts > self._max_retries:
                            self._exhausted(flight, answer.code, answer.message, flight.attempts)
                            break
                        self._retried += len(retry)
                        await asyncio.sleep(self._backoff.delay(flight.attempts, self._rng.random))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug, not transport trouble: report, never lose
                    log.exception("emitter: batch sender failed")
                    self._exhausted(flight, "InternalError", type(exc).__name__, 0)
                if (
                    len(self._buffer) < MAX_BATCH_ENTRIES
                    or self._breaker.is_open
                    or self._abandoning
                ):
                    return
                self._log_drops()
                self._flights.discard(flight)
                task = flight.task
                taken = self._take_batch()
                if self._flush_waiters:
                    self._signal_progress()
                if taken is None:
                    return
                flight = taken
                flight.task = task
                self._flights.add(flight)
        finally:
            if not self._abandoning:  # aclose() collects the pending entries itself
                self._flights.discard(flight)
                self._slots.release()
                if self._flush_waiters:  # (a new Event per batch otherwise, for nobody)
                    self._signal_progress()

    def _exhausted(self, flight: _Flight, code: str | None, message: str, attempts: int) -> None:
        """Report the flight's remaining entries as failed for good and settle the flight
        (``attempts`` 0 when a bug, not the endpoint, ended it: no count is vouched for)."""
        events, flight.events, flight.fragments = flight.events, [], []
        if events:
            self._report(
                DeliveryFailure("retries_exhausted", code, message, tuple(events), attempts)
            )

    def _settle(self, flight: _Flight, answer: Answer, probe: bool) -> list[int] | None:
        """Count what the answer settled; returns the positions (in the flight) to retry, or
        None when nothing is left to send. A rejected entry is reported here."""
        events = flight.events
        if answer.verdict == "retry":
            self._breaker.record_failure(probe)
            return list(range(len(events)))
        self._breaker.record_success(probe)  # the endpoint answered: it is not down
        attempts = flight.attempts + 1  # including the one just answered
        if answer.all_sent and self._on_sent is None:  # the common answer: nothing to walk
            self._sent += len(events)
            flight.events, flight.fragments = [], []
            return None
        if answer.verdict == "reject":
            flight.events, flight.fragments = [], []
            self._report(
                DeliveryFailure("rejected", answer.code, answer.message, tuple(events), attempts)
            )
            return None
        entries = answer.entries
        if entries is None:  # an "ok" answer to a batch call always carries its entries
            entries = classify_batch(map(str, range(len(events))), answer.payload)
        on_sent = self._on_sent
        for key in entries.succeeded:
            self._sent += 1
            if on_sent is not None:
                self._acknowledge(on_sent, events[int(key)], attempts, entries.succeeded[key])
        rejected: dict[tuple[str | None, str], list[Any]] = {}
        for failure in entries.rejected:
            rejected.setdefault((failure.code, failure.message), []).append(events[int(failure.id)])
        for (code, message), group in rejected.items():
            self._report(DeliveryFailure("rejected", code, message, tuple(group), attempts))
        # SenderFault false, or not acknowledged at all: both are retried.
        retry_ids = [f.id for f in entries.retryable] + entries.unanswered
        if not retry_ids:
            flight.events, flight.fragments = [], []
            return None
        first = entries.retryable[0] if entries.retryable else None
        answer.code = first.code if first else "Unacknowledged"
        answer.message = first.message if first else "entry missing from the answer"
        return sorted(map(int, retry_ids))

    async def _discover_limits(self) -> None:
        """Learn the queue's MaximumMessageSize; give up quietly if not allowed to ask."""
        client = self._client
        assert client is not None
        body = json.dumps(
            {"QueueUrl": self.queue_url, "AttributeNames": ["MaximumMessageSize"]}
        ).encode()
        delay = 0.5
        while True:
            answer = await client.call("GetQueueAttributes", body)
            if answer.verdict == "ok":
                value = (answer.payload.get("Attributes") or {}).get("MaximumMessageSize")
                if value is not None:  # int(None) would raise TypeError, suppressed all the same
                    with contextlib.suppress(TypeError, ValueError):
                        self._max_message_bytes = max(1, min(int(value), SQS_MAX_BYTES))
                return
            if answer.verdict == "reject":  # e.g. only sqs:SendMessage is granted
                log.debug("emitter: MaximumMessageSize unknown (%s)", answer.code)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


def _original(item: Any) -> Any:
    return item.event if type(item) in (_Envelope, _Prepared) else item


def _region_from_host(host: str) -> str | None:
    for pattern in _REGION_IN_HOST:
        match = pattern.search(host)
        if match:
            return match.group(1)
    return None
