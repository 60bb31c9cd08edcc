"""The embedded stack at fleet scale: N queues across two simulated regions, light on moto.

moto serves every region from one server: the region comes from each request's signature, so
two clients signing for ``us-east-1`` and ``eu-west-1`` see two separate sets of queues (moto
spells both regions' URLs the same way, so names carry the region: ``use1-…``, ``euw1-…``).

Patterns, assigned by a seeded shuffle (most of a real fleet is idle):

- ``steady``: idle and empty — no traffic at all;
- ``growing``: a batch of 10 every tick, nobody consumes (purged at 300 to stay shallow);
- ``stalled``: 20 messages and a consumer that never deletes: the oldest message only ages;
- ``dlq_filling``: a redrive policy, and one message a tick arriving in its DLQ (received and
  not deleted on the source: retries heading for the DLQ);
- ``near_expiry``: a 15-minute retention and 10 messages that age towards it (re-sent when they
  are about to expire, so the pattern lasts).

Per-queue traffic stays light (a few calls a second for 1,000 queues); the heavy lifting is the
``AWS/SQS`` metrics, computed from moto's in-process state and put in batches of 1,000 datums.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.simulator import moto_state
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from edgewatch.simulator.resources import DLQ_RETENTION_S

REGIONS = (("us-east-1", "use1"), ("eu-west-1", "euw1"))
PATTERNS = ("steady", "growing", "stalled", "dlq_filling", "near_expiry")
TROUBLED_SHARE = 0.05  # of the fleet, for each troubled pattern
GROWING_BATCH = 10
GROWING_CAP = 300
DLQ_CAP = 200
STALLED_DEPTH = 20
NEAR_EXPIRY_RETENTION_S = 900
NEAR_EXPIRY_DEPTH = 10
NAMESPACE = "AWS/SQS"
PUT_BATCH = 1000  # PutMetricData's limit of datums per call
CONCURRENCY = 16
ACCOUNT = "123456789012"


@dataclass
class SimQueue:
    name: str
    region: str
    pattern: str
    url: str = ""
    dlq_name: str | None = None
    dlq_url: str | None = None
    sent: int = 0  # since the last publish
    received: int = 0
    deleted: int = 0
    dlq_sent: int = 0


@dataclass
class FleetStats:
    queues: int = 0
    ticks: int = 0
    publishes: int = 0
    calls: int = 0
    errors: int = 0
    last_error: str | None = None
    by_pattern: Counter[str] = field(default_factory=Counter)


def plan_fleet(n: int, seed: int) -> list[SimQueue]:
    """The fleet's queues: ``n`` split over two regions, patterns by a seeded shuffle."""
    troubled = max(1, round(n * TROUBLED_SHARE)) if n >= len(PATTERNS) else 0
    patterns = [p for p in PATTERNS[1:] for _ in range(troubled)]
    patterns += ["steady"] * (n - len(patterns))
    patterns = patterns[:n]
    random.Random(seed).shuffle(patterns)
    out = []
    for i, pattern in enumerate(patterns):
        region, abbr = REGIONS[i % len(REGIONS)]
        name = f"{abbr}-{pattern.replace('_', '-')}-{i:04d}"
        q = SimQueue(name, region, pattern)
        if pattern == "dlq_filling":
            q.dlq_name = f"{name}-dlq"
        out.append(q)
    return out


class FleetSimulator:
    def __init__(
        self,
        endpoint_url: str,
        n: int,
        *,
        seed: int,
        tick_s: float = 15.0,
        metrics_interval_s: float = 15.0,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.queues = plan_fleet(n, seed)
        self.tick_s = tick_s
        self.metrics_interval_s = metrics_interval_s
        self.stats = FleetStats(queues=len(self.queues))
        self.stats.by_pattern.update(q.pattern for q in self.queues)
        self._clients = {
            region: AwsClients(AwsTarget(region, endpoint_url, credentials=FAKE_CREDENTIALS))
            for region, _ in REGIONS
        }
        self._sem = asyncio.Semaphore(CONCURRENCY)

    @property
    def regions(self) -> list[str]:
        return [region for region, _ in REGIONS]

    async def _call(self, region: str, service: str, op: str, **kwargs: Any) -> Any:
        async with self._sem:
            client = await self._clients[region].client(service)
            self.stats.calls += 1
            return await getattr(client, op)(**kwargs)

    # -- creation ------------------------------------------------------------------------------

    async def create(self) -> None:
        await asyncio.gather(*(self._create(q) for q in self.queues))

    async def _create(self, q: SimQueue) -> None:
        attrs: dict[str, str] = {}
        if q.dlq_name:
            resp = await self._call(
                q.region,
                "sqs",
                "create_queue",
                QueueName=q.dlq_name,
                Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_S)},
            )
            q.dlq_url = resp["QueueUrl"]
            arn = f"arn:aws:sqs:{q.region}:{ACCOUNT}:{q.dlq_name}"
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
        if q.pattern == "near_expiry":
            attrs["MessageRetentionPeriod"] = str(NEAR_EXPIRY_RETENTION_S)
        resp = await self._call(q.region, "sqs", "create_queue", QueueName=q.name, Attributes=attrs)
        q.url = resp["QueueUrl"]
        if q.pattern == "stalled":
            await self._send(q, STALLED_DEPTH)
        elif q.pattern == "near_expiry":
            await self._send(q, NEAR_EXPIRY_DEPTH)

    async def _send(self, q: SimQueue, count: int, *, url: str | None = None) -> None:
        for start in range(0, count, 10):
            entries = [
                {"Id": f"e{i}", "MessageBody": json.dumps({"queue": q.name, "n": start + i})}
                for i in range(min(10, count - start))
            ]
            await self._call(
                q.region, "sqs", "send_message_batch", QueueUrl=url or q.url, Entries=entries
            )
        if url is None:
            q.sent += count

    # -- traffic -------------------------------------------------------------------------------

    def _depth(self, region: str, name: str) -> moto_state.QueueSnapshot | None:
        return moto_state.queue_snapshot(ACCOUNT, region, name)

    async def tick(self) -> None:
        jobs = []
        for q in self.queues:
            if q.pattern == "growing":
                jobs.append(self._grow(q))
            elif q.pattern == "dlq_filling":
                jobs.append(self._dead_letter(q))
            elif q.pattern == "near_expiry":
                jobs.append(self._rearm(q))
            elif q.pattern == "stalled":
                q.received += 1  # a consumer that receives one, fails, and never deletes
        results = await asyncio.gather(*jobs, return_exceptions=True)
        self._count_errors(results)
        self.stats.ticks += 1

    async def _grow(self, q: SimQueue) -> None:
        snap = self._depth(q.region, q.name)
        if snap is not None and snap.visible >= GROWING_CAP:
            await self._call(q.region, "sqs", "purge_queue", QueueUrl=q.url)
        await self._send(q, GROWING_BATCH)

    async def _dead_letter(self, q: SimQueue) -> None:
        assert q.dlq_url is not None and q.dlq_name is not None
        snap = self._depth(q.region, q.dlq_name)
        if snap is not None and snap.visible >= DLQ_CAP:
            await self._call(q.region, "sqs", "purge_queue", QueueUrl=q.dlq_url)
        await self._send(q, 1, url=q.dlq_url)
        q.received += 3  # the three failed receives before a redrive
        q.sent += 1

    async def _rearm(self, q: SimQueue) -> None:
        snap = self._depth(q.region, q.name)
        if snap is not None and snap.oldest_age_s >= NEAR_EXPIRY_RETENTION_S - 120:
            await self._call(q.region, "sqs", "purge_queue", QueueUrl=q.url)
            await self._send(q, NEAR_EXPIRY_DEPTH)

    # -- metrics -------------------------------------------------------------------------------

    def datums(self, region: str, now: datetime) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for q in self.queues:
            if q.region != region:
                continue
            names = [(q.name, q)] + ([(q.dlq_name, None)] if q.dlq_name else [])
            for name, owner in names:
                assert name is not None
                snap = self._depth(region, name)
                if snap is None:
                    continue
                dims = [{"Name": "QueueName", "Value": name}]
                values = [
                    ("ApproximateNumberOfMessagesVisible", snap.visible, "Count"),
                    ("ApproximateNumberOfMessagesNotVisible", snap.in_flight, "Count"),
                    ("ApproximateNumberOfMessagesDelayed", snap.delayed, "Count"),
                    ("ApproximateAgeOfOldestMessage", round(snap.oldest_age_s, 3), "Seconds"),
                ]
                if owner is not None and owner.pattern != "steady":  # only active queues
                    values += [
                        ("NumberOfMessagesSent", owner.sent, "Count"),
                        ("NumberOfMessagesReceived", owner.received, "Count"),
                        ("NumberOfMessagesDeleted", owner.deleted, "Count"),
                    ]
                out.extend(
                    {
                        "MetricName": metric,
                        "Dimensions": dims,
                        "Value": float(value),
                        "Unit": unit,
                        "Timestamp": now,
                    }
                    for metric, value, unit in values
                )
        return out

    async def publish(self) -> None:
        now = datetime.now(UTC)
        for region in self.regions:
            data = self.datums(region, now)
            for start in range(0, len(data), PUT_BATCH):
                await self._call(
                    region,
                    "cloudwatch",
                    "put_metric_data",
                    Namespace=NAMESPACE,
                    MetricData=data[start : start + PUT_BATCH],
                )
            moto_state.trim(ACCOUNT, region, namespace=NAMESPACE, keep_s=1200)
        for q in self.queues:
            q.sent = q.received = q.deleted = 0
        self.stats.publishes += 1

    # -- running -------------------------------------------------------------------------------

    def _count_errors(self, results: list[Any]) -> None:
        for r in results:
            if isinstance(r, Exception):
                self.stats.errors += 1
                self.stats.last_error = str(r)

    async def run(self) -> None:
        """Tick and publish until cancelled; errors are counted, never raised."""
        next_publish = time.monotonic()
        while True:
            if time.monotonic() >= next_publish:
                self._count_errors([await _safe(self.publish())])
                next_publish = time.monotonic() + self.metrics_interval_s
            await asyncio.sleep(self.tick_s)
            self._count_errors([await _safe(self.tick())])

    async def aclose(self) -> None:
        for clients in self._clients.values():
            with contextlib.suppress(Exception):
                await clients.aclose()


async def _safe(coro: Any) -> Exception | None:
    try:
        await coro
    except Exception as exc:
        return exc
    return None
