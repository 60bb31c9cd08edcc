"""The parts that lean on moto's in-process state, and the log stream rotation."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from edgewatch.aws import AwsClients
from edgewatch.simulator import moto_state
from edgewatch.simulator.pipeline import (
    LogShipper,
    MetricsPublisher,
    PipelineConfig,
    PipelineState,
    PipelineStats,
)
from edgewatch.simulator.resources import QueueRef, StackResources, create_resources
from edgewatch.simulator.stack import THREAD_NAME, _quiet_stack_emitters

ACCOUNT, REGION = "123456789012", "us-east-1"


async def test_snapshot_counts_and_exact_age(aws_clients: AwsClients) -> None:
    res = await create_resources(aws_clients)
    sqs = await aws_clients.sqs()
    await sqs.send_message(QueueUrl=res.queue.url, MessageBody="a")
    await sqs.send_message(QueueUrl=res.queue.url, MessageBody="b", DelaySeconds=60)
    received = await sqs.receive_message(
        QueueUrl=res.queue.url, MessageSystemAttributeNames=["SentTimestamp"]
    )
    sent_s = int(received["Messages"][0]["Attributes"]["SentTimestamp"]) / 1000

    snap = moto_state.queue_snapshot(ACCOUNT, REGION, res.queue.name)
    assert snap is not None
    assert (snap.visible, snap.in_flight, snap.delayed) == (0, 1, 1)
    later = moto_state.queue_snapshot(ACCOUNT, REGION, res.queue.name, now=sent_s + 42)
    assert later is not None
    assert later.oldest_age_s == 42.0  # "a", the oldest, in flight or not
    empty = moto_state.queue_snapshot(ACCOUNT, REGION, res.dlq.name)
    assert empty is not None and empty.oldest_age_s == 0.0
    assert moto_state.queue_snapshot(ACCOUNT, REGION, "no-such-queue") is None


async def test_trim_drops_old_sqs_datapoints_only(aws_clients: AwsClients) -> None:
    cloudwatch = await aws_clients.cloudwatch()
    old = datetime.now(UTC) - timedelta(minutes=30)
    for namespace in ("AWS/SQS", "Custom/App"):
        await cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[{"MetricName": "M", "Value": 1.0, "Timestamp": old}],
        )
    moto_state.trim(ACCOUNT, REGION, namespace="AWS/SQS", keep_s=600)
    left = (await cloudwatch.list_metrics())["Metrics"]
    assert [m["Namespace"] for m in left] == ["Custom/App"]


async def test_publisher_without_moto_internals_publishes_counts_not_age(
    aws_clients: AwsClients,
) -> None:
    """If moto's internals are unreadable (here: another account), no age datapoint: never 0."""
    real = await create_resources(aws_clients)

    def elsewhere(q: QueueRef) -> QueueRef:
        return QueueRef(q.name, q.url, q.arn.replace(ACCOUNT, "000000000000"), q.fifo, q.dlq)

    res = StackResources(
        elsewhere(real.queue), real.fifo_queue, real.log_group, "", real.log_stream, REGION
    )
    stats = PipelineStats()
    await MetricsPublisher(aws_clients, res, PipelineConfig(), PipelineState(stats)).publish_once()
    cloudwatch = await aws_clients.cloudwatch()
    names = {m["MetricName"] for m in (await cloudwatch.list_metrics())["Metrics"]}
    assert "ApproximateNumberOfMessagesVisible" in names
    assert "ApproximateAgeOfOldestMessage" not in names
    assert stats.metric_publishes == 1


async def test_log_streams_rotate_and_old_ones_are_deleted(aws_clients: AwsClients) -> None:
    res = await create_resources(aws_clients)
    config = PipelineConfig(log_rotate_s=0.0, log_streams_kept=2)
    stats = PipelineStats()
    shipper = LogShipper(aws_clients, res.log_group, res.log_stream, config, PipelineState(stats))
    logs = await aws_clients.logs()
    now_ms = int(time.time() * 1000)

    used = []
    for i in range(4):
        await shipper.rotate()
        shipper.write(now_ms + i, {"i": i})
        await shipper.flush()
        used.append(shipper.stream)
        found = (await logs.describe_log_streams(logGroupName=res.log_group))["logStreams"]
        assert sorted(s["logStreamName"] for s in found) == sorted([res.log_stream, *used][-2:])

    assert len(set(used)) == 4 and res.log_stream not in used
    assert stats.log_events == 4
    events = (await logs.filter_log_events(logGroupName=res.log_group))["events"]
    assert sorted(json.loads(e["message"])["i"] for e in events) == [2, 3]


def test_the_stacks_emitter_warnings_stay_off_the_terminal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Records from the stack's thread are dropped; any other emitter keeps its logging."""
    _quiet_stack_emitters()
    _quiet_stack_emitters()  # idempotent
    logger = logging.getLogger("edgewatch_emitter")
    assert len([f for f in logger.filters if type(f).__name__ == "_NotFromTheStack"]) == 1
    caplog.set_level(logging.WARNING, logger="edgewatch_emitter")
    for name in (THREAD_NAME, "elsewhere"):
        thread = threading.Thread(target=logger.warning, args=(f"from {name}",), name=name)
        thread.start()
        thread.join()
    assert [r.getMessage() for r in caplog.records] == ["from elsewhere"]
