"""The simulated edge: seeded events on a steady tick, with bursts, sent through the SigV4 emitter.

The traffic takes the path real edge traffic takes (``Emitter.emit``: fire and forget, batched,
signed, retried), so the embedded stack exercises the emitter all day and its counters show in
the stack's stats. Acknowledged and failed events are counted from the emitter's callbacks;
transport trouble is the emitter's to retry, never the generator's.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Protocol

from edgewatch_emitter import (
    DeliveryFailure,
    DeliveryReceipt,
    Emitter,
    EmitterOptions,
    EmitterStats,
)

from edgewatch.aws import AwsClients
from edgewatch.simulator.events import EdgeEvent, EventFactory
from edgewatch.simulator.resources import QueueRef, StackResources
from edgewatch.simulator.state import PipelineConfig, PipelineState


class EventSink(Protocol):
    """Where the traffic generator puts events: fire and forget, as the edge does."""

    def emit(self, queue: QueueRef, event: EdgeEvent) -> None:
        """Hand ``event`` over for ``queue``; never waits on the network."""
        ...

    def stats(self) -> dict[str, EmitterStats]:
        """Per queue name, the sender's counters (safe to call from another thread)."""
        ...

    async def aclose(self, timeout: float) -> None:
        """Deliver what is buffered within ``timeout``; what is left is counted as failed."""
        ...


def _body(event: EdgeEvent) -> str:
    return event.body  # malformed poison included: it is the body the edge would send


def _session(event: EdgeEvent) -> str:
    return event.session_id


def _request(event: EdgeEvent) -> str:
    return event.request_id


class EmitterSink:
    """One :class:`Emitter` per queue, created on first use on the pipeline's loop.

    FIFO: group = session, deduplication id = request id (a seeded stack replays the same ids,
    as the batch sender before it did). The buffer is small (``emit_buffer``): after an outage the
    backlog that lands at once stays shallow, and overflow is counted as the emitter's ``dropped``.
    """

    def __init__(self, clients: AwsClients, config: PipelineConfig, state: PipelineState) -> None:
        self._target = clients.target
        self._region = clients.region
        self._config = config
        self._state = state
        self._emitters: dict[str, Emitter] = {}

    def _emitter(self, queue: QueueRef) -> Emitter:
        emitter = self._emitters.get(queue.name)
        if emitter is None:
            target = self._target
            emitter = Emitter(
                queue.url,
                EmitterOptions.from_target(target).replace(region=self._region),
                max_buffer=self._config.emit_buffer,
                serializer=_body,
                on_sent=self._sent,
                on_error=lambda failure, name=queue.name: self._failed(name, failure),
                group_id_fn=_session if queue.fifo else None,
                dedup_id_fn=_request if queue.fifo else None,
            )
            self._emitters[queue.name] = emitter
        return emitter

    def emit(self, queue: QueueRef, event: EdgeEvent) -> None:
        self._emitter(queue).emit(event)

    def _sent(self, receipt: DeliveryReceipt) -> None:
        stats = self._state.stats
        stats.sent += 1
        if receipt.event.poison:
            stats.poison += 1

    def _failed(self, queue: str, failure: DeliveryFailure) -> None:
        self._state.stats.send_failed += len(failure.events)
        detail = f"{failure.reason}{f' ({failure.code})' if failure.code else ''}"
        self._state.note(f"emit {queue}", f"{detail}: {failure.message}".rstrip(": "))

    def stats(self) -> dict[str, EmitterStats]:
        return {name: emitter.stats() for name, emitter in list(self._emitters.items())}

    async def aclose(self, timeout: float) -> None:
        emitters = list(self._emitters.values())
        await asyncio.gather(*(e.aclose(timeout) for e in emitters), return_exceptions=True)


def _now_ms() -> int:
    return int(time.time() * 1000)


class TrafficGenerator:
    """Seeded events on a steady tick, with occasional bursts, into every source queue."""

    def __init__(
        self,
        sink: EventSink,
        resources: StackResources,
        config: PipelineConfig,
        state: PipelineState,
        seed: int,
    ) -> None:
        self._sink, self._config, self._state = sink, config, state
        forced = () if config.first_poison_index is None else (config.first_poison_index,)
        self._streams = [
            (
                queue,
                rate,
                EventFactory(seed, stream, poison_rate=config.poison_rate, forced_poison=forced),
            )
            for queue, rate, stream in (
                (resources.queue, config.rate_per_s, "standard"),
                (resources.fifo_queue, config.fifo_rate_per_s, "fifo"),
            )
        ]
        self._timing = random.Random(f"{seed}:timing")
        self._carry = {queue.name: 0.0 for queue, _, _ in self._streams}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self._config
        next_burst = loop.time() + self._timing.uniform(*cfg.burst_gap_s)
        burst_until = 0.0
        next_tick = loop.time()
        while True:
            now = loop.time()
            if now >= next_burst:
                burst_until = now + cfg.burst_duration_s
                next_burst = now + self._timing.uniform(*cfg.burst_gap_s)
            factor = cfg.burst_factor if now < burst_until else 1.0
            for queue, rate, factory in self._streams:
                self._tick(queue, factory, rate * factor * cfg.tick_s)
            next_tick += cfg.tick_s
            delay = next_tick - loop.time()
            if delay < -cfg.tick_s:  # fell behind (a busy loop): do not try to catch up
                next_tick, delay = loop.time(), 0.0
            await asyncio.sleep(max(0.0, delay))

    def _tick(self, queue: QueueRef, factory: EventFactory, due: float) -> None:
        """Emit this tick's events; the emitter batches them (one request per tick and queue)."""
        stats = self._state.stats
        carry = self._carry[queue.name] + due
        count = int(carry)
        self._carry[queue.name] = carry - count
        if count == 0:
            return
        depth = self._state.depth(queue)
        if depth is not None and depth > self._config.max_queue_depth:
            stats.shed += count
            return
        dlq_depth = None if queue.dlq is None else self._state.depth(queue.dlq)
        allow_poison = dlq_depth is None or dlq_depth < self._config.dlq_poison_cap
        emitted = _now_ms()
        for _ in range(count):
            event = factory.next(emitted, allow_poison=allow_poison)
            stats.poison_suppressed += event.poison_suppressed
            self._sink.emit(queue, event)
