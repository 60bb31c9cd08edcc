"""What the simulator's tasks share: their knobs, their counters, and what they tell each other."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from edgewatch_emitter import Backoff, BackoffPolicy, EmitterStats

from edgewatch.aws import describe_error
from edgewatch.simulator.moto_state import QueueSnapshot
from edgewatch.simulator.resources import QueueRef

_jitter = random.Random()  # timing only; never part of the seeded content


@dataclass(frozen=True)
class PipelineConfig:
    """Rates and knobs of the simulator.

    The defaults (~10 events/s, ~9 AWS calls/s) keep a demo lively for about 8 % of one core
    (moto's server included) with the queues near empty.
    """

    rate_per_s: float = 8.0  # standard queue, outside bursts
    fifo_rate_per_s: float = 2.0
    tick_s: float = 1.0  # events are emitted once per tick: one batch per queue per tick
    emit_buffer: int = 200  # the emitter's bound: an outage's backlog stays shallow
    burst_gap_s: tuple[float, float] = (45.0, 120.0)
    burst_duration_s: float = 5.0
    burst_factor: float = 5.0
    poison_rate: float = 0.02
    first_poison_index: int | None = 1  # a poison event right away: the DLQs fill within seconds
    dlq_poison_cap: int = 300  # no new poison while a DLQ holds this many
    max_queue_depth: int = 500  # pause traffic to a queue this deep
    wait_time_s: int = 1  # long poll; short so that stop() never waits on one for long
    retry_visibility_s: int = 1  # failed messages come back after this (not the queue's 5 s)
    metrics_interval_s: float = 5.0
    metrics_retention_s: float = 3600.0
    housekeeping_s: float = 60.0  # how often moto's old datapoints and receipt handles are trimmed
    timeout_rate: float = 0.01  # invocations that time out (nothing of their batch is deleted)
    log_flush_s: float = 1.0
    log_buffer: int = 20_000
    log_rotate_s: float = 600.0
    log_streams_kept: int = 6  # ~1 h of worker logs; bounds moto's memory and filter scans

    @classmethod
    def fast(cls) -> PipelineConfig:
        """For tests: much more poison (the DLQ fills within ~10 s) and quicker metrics."""
        return cls(poison_rate=0.3, metrics_interval_s=1.0)


@dataclass
class PipelineStats:
    """Counters for tests and status lines; written by the pipeline's loop only."""

    sent: int = 0  # events SQS acknowledged (the emitters' receipts)
    send_failed: int = 0  # events the emitters gave up on (rejected, retries exhausted, closed)
    poison: int = 0  # poison events sent
    poison_suppressed: int = 0  # poison drawn but sent clean because a DLQ was full
    shed: int = 0  # events not generated because a queue was too deep or unreachable
    processed: int = 0  # consumer attempts that succeeded (and deleted)
    failed: int = 0  # consumer attempts that failed (poison, malformed)
    timeouts: int = 0  # simulated invocations that timed out
    log_events: int = 0  # log lines written to CloudWatch Logs
    log_dropped: int = 0  # log lines dropped from a full buffer
    metric_publishes: int = 0
    errors: int = 0  # AWS calls that failed (retried with backoff)
    last_error: str | None = None
    # Per queue name, the traffic emitters' counters (buffered, retried, dropped, latency…);
    # filled in by ``Pipeline.snapshot()``, empty on the live object.
    emitters: dict[str, EmitterStats] = field(default_factory=dict)

    def copy(self) -> PipelineStats:
        return replace(self, emitters=dict(self.emitters))


def backoff(base: float = 0.2, cap: float = 5.0) -> Backoff:
    """The simulated pipeline's retry pacing: doubling from ``base``, never near zero."""
    return Backoff(BackoffPolicy(base, cap, "equal"), _jitter.random)


class PipelineState:
    """What the tasks tell each other: the latest queue snapshots and the error counter."""

    def __init__(self, stats: PipelineStats) -> None:
        self.stats = stats
        self.snapshots: dict[str, QueueSnapshot] = {}

    def error(self, where: str, exc: BaseException) -> None:
        self.note(where, describe_error(exc))

    def note(self, where: str, text: str) -> None:
        """Count an AWS failure that has no exception (e.g. the emitter's ``on_error``)."""
        self.stats.errors += 1
        self.stats.last_error = f"{where}: {text}"

    def depth(self, queue: QueueRef) -> int | None:
        snap = self.snapshots.get(queue.name)
        return None if snap is None else snap.visible + snap.in_flight + snap.delayed
