"""The queue metrics engine against a real moto server over HTTP (and a real fault proxy)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import Settings
from edgewatch.metrics.poller import QueuePoller
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.backends  # moto and LocalStack


class FakeClock:
    """A hand-driven clock: tests decide when time passes."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def make_queue_with_dlq(sqs, name: str) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "3"})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return url, dlq


def put_age(moto_server, queue: str, value: float) -> None:
    import boto3

    cw = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url=moto_server.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )
    cw.put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": queue}],
                "Value": value,
                "Unit": "Seconds",
            }
        ],
    )


@pytest.fixture
def proxy(moto_server) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_server.endpoint_url)
    yield p
    p.close()


def clients_for(endpoint: str) -> AwsClients:
    return AwsClients(
        AwsTarget(region="us-east-1", endpoint_url=endpoint, credentials=FAKE_CREDENTIALS)
    )


async def test_discovers_every_queue_with_its_dlq_and_cloudwatch_age(
    moto_server, boto3_sqs, aws_clients
):
    url, dlq = make_queue_with_dlq(boto3_sqs, "orders")
    boto3_sqs.send_message(QueueUrl=url, MessageBody="a")
    boto3_sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=60)
    boto3_sqs.send_message(QueueUrl=dlq, MessageBody="poison")
    boto3_sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)  # one in flight
    boto3_sqs.send_message(QueueUrl=url, MessageBody="c")
    put_age(moto_server, "orders", 42.0)

    poller = QueuePoller(aws_clients, Settings())
    snap = await poller.poll_once()

    by_name = {q.name: q for q in snap.queues}
    assert set(by_name) == {"orders", "orders-dlq"}
    orders = by_name["orders"]
    assert (orders.visible, orders.in_flight, orders.delayed) == (1, 1, 1)
    assert orders.oldest_age_s == 42.0 and orders.oldest_age_at is not None
    assert orders.dlq is not None and orders.dlq.name == "orders-dlq" and orders.dlq.visible == 1
    assert by_name["orders-dlq"].is_dlq
    # no datapoint is "n/a", never 0
    assert by_name["orders-dlq"].oldest_age_s is None
    assert snap.connection == "ok" and snap.error is None
    doc = snap.to_json()
    assert doc[0]["dlq"]["name"] == "orders-dlq" and doc[0]["error"] is None
    assert set(doc[0]) == {
        "name",
        "url",
        "visible",
        "in_flight",
        "delayed",
        "oldest_age_s",
        "oldest_age_at",
        "updated_at",
        "retention_s",
        "counts",
        "region",
        "account",
        "tags",
        "read_by",
        "dlq",
        "error",
    }


async def test_configured_queues_by_name_and_url_unknown_queue_is_a_state(boto3_sqs, aws_clients):
    url, _ = make_queue_with_dlq(boto3_sqs, "pay")
    other = boto3_sqs.create_queue(QueueName="other")["QueueUrl"]
    settings = Settings(queues=["pay", other, "does-not-exist"])
    snap = await QueuePoller(aws_clients, settings).poll_once()

    by_name = {q.name: q for q in snap.queues}
    assert [q.name for q in snap.queues] == ["pay", "other", "does-not-exist"]
    assert by_name["pay"].url == url and by_name["pay"].visible == 0
    # the DLQ, not configured itself, is read in the same poll
    assert by_name["pay"].dlq is not None and by_name["pay"].dlq.visible == 0
    assert by_name["other"].error is None
    missing = by_name["does-not-exist"]
    assert missing.error is not None and "no such queue" in missing.error
    assert missing.visible is None
    assert snap.connection == "degraded"


async def test_thresholds_colour_levels(boto3_sqs, aws_clients):
    url, dlq = make_queue_with_dlq(boto3_sqs, "t")
    for i in range(8):
        boto3_sqs.send_message(QueueUrl=url, MessageBody=str(i))
    boto3_sqs.send_message(QueueUrl=dlq, MessageBody="x")
    settings = Settings(queues=[{"name": "t", "thresholds": {"depth": 10, "dlq_depth": 1}}])
    q = (await QueuePoller(aws_clients, settings).poll_once()).queues[0]
    assert q.depth_level == "warn"  # 8 >= 75 % of 10
    assert q.dlq_level == "crit"
    assert q.level == "crit"


async def test_endpoint_down_backs_off_and_recovers(moto_server, boto3_sqs, aws_clients):
    boto3_sqs.create_queue(QueueName="a")
    poller = QueuePoller(aws_clients, Settings(poll_interval=1.0))
    assert (await poller.poll_once()).connection == "ok"

    moto_server.stop()
    first = await poller.poll_once()
    assert first.connection == "down" and "unreachable" in (first.error or "")
    assert first.queues[0].visible == 0  # the last known numbers stay, flagged by the state
    waits = [poller.backoff_s]
    await poller.poll_once()
    waits.append(poller.backoff_s)
    assert waits[0] > 1.0 and waits[1] > waits[0]

    moto_server.start()
    back = await poller.poll_once()
    assert back.connection == "ok" and back.error is None
    assert poller.backoff_s == 1.0


async def test_one_hung_queue_does_not_stall_the_others(moto_server, boto3_sqs, proxy):
    fast = boto3_sqs.create_queue(QueueName="fast")["QueueUrl"]
    boto3_sqs.create_queue(QueueName="hung")
    boto3_sqs.send_message(QueueUrl=fast, MessageBody="x")
    proxy.rules.append(
        lambda r: "hang" if r.operation == "GetQueueAttributes" and b"/hung" in r.body else None
    )
    clients = clients_for(proxy.endpoint_url)
    try:
        poller = QueuePoller(clients, Settings(poll_interval=0.5), request_timeout=20)
        snap = await poller.poll_once()
        by_name = {q.name: q for q in snap.queues}
        assert by_name["fast"].visible == 1 and not by_name["fast"].stale
        assert by_name["hung"].stale and by_name["hung"].visible is None
        assert snap.connection == "degraded"
        # the next poll does not send a second request for the queue still in flight
        await poller.poll_once()
        hung_calls = [r for r in proxy.seen if b"/hung" in r.body]
        assert len(hung_calls) == 1
        await poller.aclose()
    finally:
        await clients.aclose()


async def test_throttled_queue_is_a_state_not_a_crash(moto_server, boto3_sqs, proxy):
    boto3_sqs.create_queue(QueueName="calm")
    boto3_sqs.create_queue(QueueName="busy")
    proxy.rules.append(lambda r: "throttle" if b"/busy" in r.body else None)
    clients = clients_for(proxy.endpoint_url)
    try:
        snap = await QueuePoller(clients, Settings()).poll_once()
        by_name = {q.name: q for q in snap.queues}
        assert by_name["busy"].error == "throttled (ThrottlingException)"
        assert by_name["calm"].error is None and by_name["calm"].visible == 0
        assert snap.connection == "degraded"
    finally:
        await clients.aclose()


async def test_pause_makes_no_api_calls_and_refresh_polls_at_once(moto_server, boto3_sqs, proxy):
    boto3_sqs.create_queue(QueueName="a")
    clients = clients_for(proxy.endpoint_url)
    snapshots = []
    got = asyncio.Event()

    def on_snapshot(s):
        snapshots.append(s)
        got.set()

    async def next_snapshot():
        got.clear()
        await asyncio.wait_for(got.wait(), timeout=10)
        return snapshots[-1]

    try:
        poller = QueuePoller(clients, Settings(poll_interval=3600))
        task = asyncio.create_task(poller.run(on_snapshot))
        assert (await next_snapshot()).connection == "ok"

        poller.refresh_now()  # the hour-long wait is cut short
        assert (await next_snapshot()).connection == "ok"
        assert len(snapshots) == 2

        poller.pause()
        assert (await next_snapshot()).connection == "paused"
        calls = len(proxy.seen)
        poller.refresh_now()  # refresh while paused does not poll either
        await asyncio.sleep(0.2)
        assert len(proxy.seen) == calls

        poller.resume()
        assert (await next_snapshot()).connection == "ok"
        assert len(proxy.seen) > calls
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await clients.aclose()


async def test_cloudwatch_is_read_once_per_metrics_interval(moto_server, boto3_sqs, proxy):
    boto3_sqs.create_queue(QueueName="a")
    clock = FakeClock()
    clients = clients_for(proxy.endpoint_url)
    try:
        poller = QueuePoller(clients, Settings(metrics_interval=60), clock=clock)
        for _ in range(3):
            await poller.poll_once()
            clock.now += 1
        assert proxy.operations().count("GetMetricData") == 1
        assert proxy.operations().count("ListQueues") == 1  # discovery is cached too
        clock.now += 60
        await poller.poll_once()
        assert proxy.operations().count("GetMetricData") == 2
        assert proxy.operations().count("ListQueues") == 2  # re-discovered after a minute
    finally:
        await clients.aclose()


async def test_history_is_bounded(boto3_sqs, aws_clients):
    boto3_sqs.create_queue(QueueName="a")
    poller = QueuePoller(aws_clients, Settings(history=10, metrics_interval=3600))
    for _ in range(15):
        snap = await poller.poll_once()
    key = snap.queues[0].url
    assert len(poller.history.series(key, "visible")) == 10


async def test_retention_and_cloudwatch_counts_of_the_last_complete_minute(
    moto_server, boto3_sqs, aws_clients
):
    import time
    from datetime import UTC, datetime

    import boto3

    url = boto3_sqs.create_queue(QueueName="flow", Attributes={"MessageRetentionPeriod": "3600"})[
        "QueueUrl"
    ]
    boto3_sqs.send_message(QueueUrl=url, MessageBody="a")
    cw = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url=moto_server.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )
    minute = (int(time.time()) // 60 - 3) * 60  # a complete minute, three minutes ago
    stamp = datetime.fromtimestamp(minute, UTC)
    cw.put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "QueueName", "Value": "flow"}],
                "Value": value,
                "Timestamp": stamp,
                "Unit": "Count",
            }
            for name, value in (
                ("NumberOfMessagesSent", 120.0),
                ("NumberOfMessagesReceived", 90.0),
                ("NumberOfMessagesDeleted", 60.0),
            )
        ],
    )
    snap = await QueuePoller(aws_clients, Settings()).poll_once()
    flow = snap.queues[0]
    assert flow.retention_s == 3600.0
    assert flow.counts is not None and flow.counts.at == minute
    assert (flow.counts.sent, flow.counts.received, flow.counts.deleted) == (120.0, 90.0, 60.0)

    without = await QueuePoller(aws_clients, Settings(forecast={"counts": False})).poll_once()
    assert without.queues[0].counts is None  # not requested: no cost, no numbers
