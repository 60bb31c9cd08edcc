"""The simulated pipeline on a running embedded stack (fast mode: 30 % poison, 1 s metrics)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.simulator.resources import MAX_RECEIVE_COUNT, QueueRef
from edgewatch.simulator.stack import EmbeddedStack
from tests.support.sqs import depth
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def stack(clean_moto_state: None) -> Iterator[EmbeddedStack]:
    """One stack for the whole module (fast mode: the DLQs fill within seconds)."""
    with EmbeddedStack(seed=42, config=PipelineConfig.fast()) as running:
        yield running


def held(sqs: Any, queue: QueueRef) -> int:
    """Visible plus in flight: what the queue holds."""
    return sum(depth(sqs, queue.url))


def test_traffic_flows_and_queues_stay_shallow(stack: EmbeddedStack, boto3_for) -> None:
    sqs = boto3_for("sqs", stack.endpoint_url)
    wait_until(lambda: stack.stats.processed >= 60, what="60 processed events")
    stats = stack.stats
    assert stats.sent >= stats.processed
    assert stats.errors == 0, stats.last_error
    # The consumer keeps up: what is queued is about one tick's traffic plus the poison that
    # is being retried (30 % of it in fast mode, each for a few seconds).
    for queue in stack.resources.sources:
        assert held(sqs, queue) < 100


def test_poison_reaches_the_dlqs(stack: EmbeddedStack, boto3_for) -> None:
    sqs = boto3_for("sqs", stack.endpoint_url)
    for dlq in (stack.resources.dlq, stack.resources.fifo_dlq):
        wait_until(lambda q=dlq: held(sqs, q) >= 1, timeout=45, what=f"a message in {dlq.name}")
    messages = wait_until(
        lambda: sqs.receive_message(
            QueueUrl=stack.resources.dlq.url,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
            VisibilityTimeout=30,
        ).get("Messages"),
        what="a DLQ message to receive",
    )
    for message in messages:
        assert int(message["Attributes"]["ApproximateReceiveCount"]) > MAX_RECEIVE_COUNT
        try:
            event = json.loads(message["Body"])
        except ValueError:
            continue  # a malformed poison event: also what the consumer fails on
        assert event["poison"] is True


def test_consumer_logs_each_attempt(stack: EmbeddedStack, boto3_for) -> None:
    logs = boto3_for("logs", stack.endpoint_url)

    def lines() -> list[dict[str, Any]]:
        events = logs.filter_log_events(logGroupName=stack.resources.log_group)["events"]
        return [json.loads(e["message"]) for e in events]

    def poison_failed_three_times() -> str | None:
        attempts: dict[str, int] = {}
        for line in lines():
            if line["outcome"] == "error" and line["request_id"]:
                attempts[line["request_id"]] = attempts.get(line["request_id"], 0) + 1
        return next((rid for rid, n in attempts.items() if n >= MAX_RECEIVE_COUNT), None)

    request_id = wait_until(poison_failed_three_times, timeout=45, what="3 failed attempts")
    failures = [ln for ln in lines() if ln["request_id"] == request_id]
    assert [ln["receive_count"] for ln in failures][:3] == [1, 2, 3]
    ok = next(ln for ln in lines() if ln["outcome"] == "ok")
    for line in (*failures, ok):
        assert line["queue"] in {q.name for q in stack.resources.sources}
        assert line["latency_ms"] >= 0 and line["queue_lag_ms"] >= 0
        assert line["processed_at"] >= line["emitted_at"]
        assert {"timestamp", "level", "message_id", "error"} <= line.keys()
    assert failures[0]["level"] == "ERROR" and "poison" in failures[0]["error"]
    assert ok["level"] == "INFO" and ok["error"] is None


def test_age_metrics_readable_with_get_metric_data(
    stack: EmbeddedStack, boto3_for
) -> None:
    """The console's query: one GetMetricData, Period 60, Maximum, every queue incl. the DLQs."""
    cloudwatch = boto3_for("cloudwatch", stack.endpoint_url)
    sqs = boto3_for("sqs", stack.endpoint_url)
    queues = stack.resources.queues
    wait_until(lambda: held(sqs, stack.resources.dlq) >= 1, timeout=45, what="a DLQ message")

    def latest() -> dict[str, float] | None:
        now = datetime.now(UTC)
        response = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": f"q{i}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SQS",
                            "MetricName": "ApproximateAgeOfOldestMessage",
                            "Dimensions": [{"Name": "QueueName", "Value": q.name}],
                        },
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                }
                for i, q in enumerate(queues)
            ],
            StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(seconds=1),
        )
        values = {r["Id"]: r["Values"] for r in response["MetricDataResults"]}
        if not all(values.get(f"q{i}") for i in range(len(queues))):
            return None
        ages = {q.name: values[f"q{i}"][-1] for i, q in enumerate(queues)}
        return ages if ages[stack.resources.dlq.name] > 0 else None

    ages = wait_until(latest, what="an age datapoint for every queue, > 0 for the DLQ")
    for age in ages.values():
        assert isinstance(age, float) and 0 <= age < 600  # seconds, a realistic value


def test_traffic_goes_through_the_emitter(stack: EmbeddedStack) -> None:
    """The edge's own path: one SigV4 emitter per source queue, its counters in the stack's."""
    names = [q.name for q in stack.resources.sources]

    def flowing() -> Any:
        stats = stack.stats
        emitters = stats.emitters
        ok = all(n in emitters and emitters[n].sent >= 5 for n in names)
        return stats if ok else None

    stats = wait_until(flowing, what="acknowledged events from both emitters")
    assert set(stats.emitters) == set(names)
    for name in names:
        emitter = stats.emitters[name]
        assert emitter.requests >= 1 and emitter.failed == 0
        assert emitter.send_latency_p50_ms is not None
    # the receipts (stats.sent) are counted as the emitters count; read a moment later, the
    # emitters can only be ahead
    assert 0 < stats.sent <= sum(e.sent for e in stats.emitters.values())
    assert stats.send_failed == 0
