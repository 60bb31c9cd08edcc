"""The simulated edge pipeline: edge traffic, a failing-on-poison consumer, and AWS/SQS metrics.

Three kinds of task share one event loop (the embedded stack runs it on its own thread):

* **traffic** — seeded analytics events into the standard and FIFO queues through an
  :class:`EventSink`: the SigV4 :class:`~edgewatch_emitter.Emitter`, as at the edge, with bursts;
* **consumers** — one per source queue, shaped like its Lambda function: each received batch is
  an invocation; poison is reported as a batch item failure (short visibility) until SQS's
  redrive moves it to the DLQ after ``maxReceiveCount`` receives; the function's logs go to
  ``/aws/lambda/<function>`` in Lambda's formats (plain text; JSON with Powertools records);
* **metrics** — the ``AWS/SQS`` metrics AWS would publish and moto does not.

Queues stay shallow (moto slows down as a queue deepens): traffic pauses for a queue deeper
than ``max_queue_depth``, and poison stops while a DLQ holds ``dlq_poison_cap`` messages. Nothing
here prints; every AWS error is counted in :class:`PipelineStats` and retried with backoff (the
emitter retries its own requests; its counters are part of :meth:`Pipeline.snapshot`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from edgewatch.aws import AwsClients
from edgewatch.simulator.function_logs import FunctionLog, RecordOutcome, Style
from edgewatch.simulator.logship import LogShipper
from edgewatch.simulator.publisher import MetricsPublisher
from edgewatch.simulator.resources import QueueRef, StackResources
from edgewatch.simulator.state import PipelineConfig, PipelineState, PipelineStats, backoff
from edgewatch.simulator.traffic import EmitterSink, EventSink, TrafficGenerator

STYLES: tuple[Style, Style] = ("text", "json")  # the standard queue's consumer, the FIFO's

__all__ = [
    "Consumer",
    "EmitterSink",
    "EventSink",
    "LogShipper",
    "MetricsPublisher",
    "Pipeline",
    "PipelineConfig",
    "PipelineState",
    "PipelineStats",
    "TrafficGenerator",
]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _work_ms(key: str) -> float:
    """Simulated processing time, a function of the message (so a redelivery takes as long)."""
    rng = random.Random(key)
    if rng.random() < 0.01:  # a slow dependency now and then: the p99 tail
        return rng.uniform(150.0, 450.0)
    return min(400.0, rng.lognormvariate(math.log(8.0), 0.6))


class Consumer:
    """A Lambda-shaped worker on one queue: each received batch is one invocation.

    It long-polls, processes and deletes as the event source mapping and the function would
    together, and logs what the function would (:class:`FunctionLog`): START, one line per
    record, END and REPORT (or their JSON records). Failed records are reported as batch item
    failures: their visibility drops to ``retry_visibility_s`` and, on the receive after the
    third failure, SQS moves them to the DLQ. Now and then (``timeout_rate``) an invocation
    times out: nothing of its batch is deleted. FIFO messages of one group are processed in
    order; groups and standard messages run concurrently.
    """

    def __init__(
        self,
        clients: AwsClients,
        queue: QueueRef,
        log: FunctionLog,
        config: PipelineConfig,
        state: PipelineState,
        seed: str = "",
    ) -> None:
        self.queue = queue
        self.log = log
        self._clients = clients
        self._config, self._state = config, state
        self._backoff = backoff()
        self._rng = random.Random(f"{seed}:timeouts:{queue.name}")

    async def run(self) -> None:
        attributes = ["SentTimestamp", "ApproximateReceiveCount", "MessageGroupId"]
        while True:
            try:
                sqs = await self._clients.sqs()
                response = await sqs.receive_message(
                    QueueUrl=self.queue.url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=self._config.wait_time_s,
                    MessageSystemAttributeNames=attributes,
                )
            except Exception as exc:
                self._state.error(f"receive {self.queue.name}", exc)
                await self._backoff.wait()
                continue
            self._backoff.reset()
            messages = response.get("Messages") or []
            if messages:
                await self._handle(messages)

    async def _handle(self, messages: list[dict[str, Any]]) -> None:
        groups: dict[str, list[dict[str, Any]]] = {}
        for message in messages:
            key = message.get("Attributes", {}).get("MessageGroupId") or message["MessageId"]
            groups.setdefault(key, []).append(message)
        invocation = self.log.start()
        started = time.perf_counter()

        async def run_group(group: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
            done = []
            for m in group:
                outcome = await self._process(m)
                self.log.record(invocation, outcome)
                done.append((m, outcome.error_type is None))
            return done

        results = [r for g in await asyncio.gather(*map(run_group, groups.values())) for r in g]
        timed_out = self._rng.random() < self._config.timeout_rate
        self.log.finish(invocation, (time.perf_counter() - started) * 1000, timed_out=timed_out)
        ok = [] if timed_out else [m for m, success in results if success]
        failed = [m for m, success in results if timed_out or not success]
        if timed_out:
            self._state.stats.timeouts += 1
        sqs = await self._clients.sqs()
        if ok:
            try:
                await sqs.delete_message_batch(QueueUrl=self.queue.url, Entries=_receipts(ok))
            except Exception as exc:  # they come back after the visibility timeout
                self._state.error(f"delete {self.queue.name}", exc)
        if failed:
            try:
                await sqs.change_message_visibility_batch(
                    QueueUrl=self.queue.url,
                    Entries=[
                        {**e, "VisibilityTimeout": self._config.retry_visibility_s}
                        for e in _receipts(failed)
                    ],
                )
            except Exception as exc:
                self._state.error(f"visibility {self.queue.name}", exc)

    async def _process(self, message: dict[str, Any]) -> RecordOutcome:
        attrs = message.get("Attributes", {})
        sent_at = int(attrs.get("SentTimestamp", 0)) or None
        event: dict[str, Any] = {}
        error_type: str | None = None
        error: str | None = None
        try:
            parsed = json.loads(message.get("Body", ""))
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
            event = parsed
        except json.JSONDecodeError as exc:
            error_type, error = "JSONDecodeError", str(exc)
        except ValueError as exc:
            error_type, error = "ValueError", str(exc)
        request_id = event.get("request_id") if isinstance(event.get("request_id"), str) else None
        if error_type is None and event.get("poison"):
            error_type = "SchemaValidationError"
            error = "field 'poison' is not allowed"
        # Validation fails fast; real work takes a few milliseconds, now and then much longer.
        work = 1.0 if error_type else _work_ms(request_id or message["MessageId"])
        await asyncio.sleep(work / 1000)
        if error_type:
            self._state.stats.failed += 1
        else:
            self._state.stats.processed += 1
        event_type = event.get("type") if isinstance(event.get("type"), str) else None
        return RecordOutcome(
            message_id=message["MessageId"],
            receive_count=int(attrs.get("ApproximateReceiveCount", 1)),
            request_id=request_id,
            event_type=event_type,
            sent_at_ms=sent_at,
            error_type=error_type,
            error=error,
        )


def _receipts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]


class Pipeline:
    """All the simulator's tasks on the running loop; ``aclose()`` cancels them (long polls too)."""

    def __init__(
        self,
        clients: AwsClients,
        resources: StackResources,
        *,
        seed: int,
        config: PipelineConfig | None = None,
        sink: EventSink | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        self.stats = PipelineStats()
        self.resources = resources
        self._state = PipelineState(self.stats)
        self.shippers = [
            LogShipper(clients, f.log_group, resources.log_stream, self.config, self._state)
            for f in resources.functions
        ]
        self.shipper = self.shippers[0]
        self.metrics = MetricsPublisher(clients, resources, self.config, self._state)
        self.sink = sink or EmitterSink(clients, self.config, self._state)
        self.traffic = TrafficGenerator(self.sink, resources, self.config, self._state, seed)
        self.consumers = [
            Consumer(
                clients,
                queue,
                FunctionLog(shipper, f.name, f.arn, style, f"{seed}:{f.name}"),
                self.config,
                self._state,
                str(seed),
            )
            for queue, f, shipper, style in zip(
                resources.sources, resources.functions, self.shippers, STYLES, strict=True
            )
        ]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Publish the first metrics, then start every task on the running loop.

        The first datapoints exist when this returns: a console that reads CloudWatch right
        after the stack started (and then only every minute) shows numbers, not "n/a".
        """
        await self.metrics.try_publish()
        runners: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("metrics", self.metrics.run),
            ("traffic", self.traffic.run),
            *((f"logs:{s.stream}", s.run) for s in self.shippers),
            *((f"consumer:{c.queue.name}", c.run) for c in self.consumers),
        ]
        for name, run in runners:
            self._tasks.append(asyncio.create_task(self._supervise(name, run), name=name))

    async def _supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Restart a task that failed unexpectedly: the simulator must never raise or stop."""
        while True:
            try:
                await run()
            except Exception as exc:
                self._state.error(name, exc)
                await asyncio.sleep(1.0)

    def snapshot(self) -> PipelineStats:
        """A copy of the counters with the emitters' own (callable from any thread)."""
        return replace(self.stats.copy(), emitters=self.sink.stats())

    async def aclose(self, flush_timeout: float = 0.5) -> None:
        """Cancel every task, in-flight long polls included; deliver the emitters' buffers and
        ship the buffered log lines.

        Each final flush is bounded by ``flush_timeout`` (the endpoint may be gone).
        """
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.sink.aclose(flush_timeout)
        for shipper in self.shippers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(shipper.flush(), flush_timeout)
