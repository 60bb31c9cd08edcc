"""The fleet poller against moto over HTTP: two regions on one server, a counting proxy."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import FleetSource, Settings
from edgewatch.fleet import poller as fleet_poller
from edgewatch.fleet.poller import FleetPoller
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from tests.support.faults import FaultProxy
from tests.support.waiting import async_wait_until


class Clock:
    def __init__(self) -> None:
        self.now = float(int(datetime.now(UTC).timestamp()))

    def __call__(self) -> float:
        return self.now


def client(moto_server: Any, service: str, region: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=moto_server.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )


@pytest.fixture
async def two_regions(proxy: FaultProxy) -> AsyncIterator[list[tuple[FleetSource, AwsClients]]]:
    pairs = []
    for region in ("us-east-1", "eu-west-1"):
        target = AwsTarget(region, proxy.endpoint_url, credentials=FAKE_CREDENTIALS)
        pairs.append(
            (FleetSource(region=region, endpoint_url=proxy.endpoint_url), AwsClients(target))
        )
    yield pairs
    for _, clients in pairs:
        await clients.aclose()


def fleet_settings(**fleet: Any) -> Settings:
    return Settings(
        fleet={"sources": [{"region": "us-east-1"}, {"region": "eu-west-1"}], **fleet},
        forecast={"counts": False},
    )


async def test_discovers_pages_with_a_prefix_across_regions_with_account_and_region(
    moto_server, proxy, two_regions, monkeypatch
):
    use1, euw1 = client(moto_server, "sqs", "us-east-1"), client(moto_server, "sqs", "eu-west-1")
    for i in range(5):
        use1.create_queue(QueueName=f"app-use1-{i}")
    use1.create_queue(QueueName="other")
    euw1.create_queue(QueueName="app-euw1-0", tags={"team": "payments"})
    monkeypatch.setattr(fleet_poller, "LIST_PAGE", 2)  # small pages: NextToken is followed

    clock = Clock()
    poller = FleetPoller(two_regions, fleet_settings(prefix="app-", tags=True), clock=clock)
    snap = await poller.poll_once()
    rows = {(q.region, q.name): q for q in snap.queues}
    assert sorted(rows) == [("eu-west-1", "app-euw1-0")] + [
        ("us-east-1", f"app-use1-{i}") for i in range(5)
    ]
    assert {q.account for q in snap.queues} == {"123456789012"}
    ops = proxy.operations()
    assert ops.count("ListQueues") == 3 + 1  # 5 queues in pages of 2, and 1
    for _ in range(3):  # tags are read once per queue, by the leftover budget
        clock.now += 10
        snap = await poller.poll_once()
    # The sweep's reads are not waited for by a poll (rows on screen are): they land soon.
    await async_wait_until(lambda: proxy.operations().count("ListQueueTags") == 6)
    for _ in range(2):
        clock.now += 10
        snap = await poller.poll_once()
    tagged = {q.name: q.tags for q in snap.queues}
    assert tagged["app-euw1-0"] == {"team": "payments"} and tagged["app-use1-0"] == {}
    assert proxy.operations().count("ListQueueTags") == 6  # once each, not every poll
    await poller.aclose()


async def test_cold_queues_come_from_one_batched_cloudwatch_read_hot_ones_from_attributes(
    moto_server, proxy, two_regions
):
    sqs = client(moto_server, "sqs", "us-east-1")
    cw = client(moto_server, "cloudwatch", "us-east-1")
    urls = [sqs.create_queue(QueueName=f"q{i:03d}")["QueueUrl"] for i in range(200)]
    sqs.send_message(QueueUrl=urls[7], MessageBody="x")
    minute = datetime.fromtimestamp((int(datetime.now(UTC).timestamp()) // 60 - 2) * 60, UTC)
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "QueueName", "Value": f"q{i:03d}"}],
            "Value": value,
            "Timestamp": minute,
        }
        for i in range(200)
        for metric, value in (
            ("ApproximateNumberOfMessagesVisible", float(i)),
            ("ApproximateNumberOfMessagesNotVisible", 1.0),
            ("ApproximateAgeOfOldestMessage", 30.0),
        )
    ]
    for start in range(0, len(data), 500):
        cw.put_metric_data(Namespace="AWS/SQS", MetricData=data[start : start + 500])

    poller = FleetPoller(two_regions, fleet_settings(hot_max=5), clock=Clock())
    poller.focus([urls[7]])
    snap = await poller.poll_once()
    by_name = {q.name: q for q in snap.queues}
    hot, cold = by_name["q007"], by_name["q150"]
    assert (hot.read_by, hot.visible) == ("attributes", 1)
    # Cold rows read only what the score and forecasts need: depth and age, not in flight.
    assert (cold.read_by, cold.visible, cold.in_flight) == ("cloudwatch", 150, None)
    assert cold.updated_at == minute.timestamp() + 60  # the row says how fresh it is
    assert cold.oldest_age_s == 30.0
    # 200 queues x 2 metrics = 400 queries: one call (us-east-1; eu-west-1 is empty)
    assert proxy.operations().count("GetMetricData") == 1
    # Every call is metered (reads still in flight are counted when sent).
    assert snap.calls_last_min is not None and snap.calls_last_min >= len(proxy.operations())
    await async_wait_until(lambda: len(proxy.operations()) == poller.meter.total)
    # 400 metrics every 300 s (the default fleet.metrics_interval): 80 a minute
    assert snap.cost is not None and snap.cost.metrics_per_min == 80.0
    await poller.aclose()


async def test_one_budget_holds_over_every_minute_and_rows_beyond_it_go_round_robin(
    moto_server, proxy, two_regions
):
    sqs = client(moto_server, "sqs", "us-east-1")
    urls = [sqs.create_queue(QueueName=f"q{i:02d}")["QueueUrl"] for i in range(60)]
    clock = Clock()
    settings = fleet_settings(hot_max=60, budget_calls_per_min=31, discover_interval_s=60)
    poller = FleetPoller(two_regions, settings, clock=clock)
    poller.focus(urls)  # 60 rows on screen at a 1 s poll: 3,600 reads a minute asked for
    times: dict[str, list[float]] = {u: [] for u in urls}
    most = 0
    for _ in range(420):  # 7 minutes: the last row is read a second time at ~277 s
        snap = await poller.poll_once()
        most = max(most, poller.meter.calls_last_min())
        for q in snap.queues:
            seen = times.get(q.url or "")
            fresh = q.updated_at is not None and q.read_by == "attributes"
            if seen is not None and fresh and (not seen or seen[-1] != q.updated_at):
                seen.append(q.updated_at)  # type: ignore[arg-type]
        clock.now += 1
    # Reserved: 2 ListQueues pages (one per region) every 60 s land twice in a minute that
    # counts both ends, 1 GetMetricData every 300 s once: 5; 26 attribute reads are left.
    assert poller.budget.reserve == 5
    assert most <= 31, poller.meter.per_min()
    # Round-robin: every row is read again and again, none starved by the rows above it.
    gaps = [b - a for t in times.values() for a, b in itertools.pairwise(t)]
    assert all(len(t) >= 2 for t in times.values())
    assert max(gaps) <= 2 * 60 * 60 / 26 + 2  # each row about every 60 / 26 minutes
    assert snap.refresh_s == pytest.approx(60 * 60 / 26)
    await poller.aclose()
