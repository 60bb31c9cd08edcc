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


def _events(logs: Any, group: str) -> list[str]:
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


def test_standard_consumer_logs_lambda_plain_text(stack: EmbeddedStack, boto3_for) -> None:
    """Lambda's documented plain-text shapes, read with plain string splits."""
    logs = boto3_for("logs", stack.endpoint_url)
    group = stack.resources.function.log_group
    assert group == "/aws/lambda/edge-analytics-consumer"

    def failures() -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for message in _events(logs, group):
            if message.startswith("[ERROR]\t"):
                _, _, rid, text = message.split("\t", 3)
                mid = text.split("messageId=", 1)[1].split()[0]
                found.setdefault(mid, []).append((rid, text))
        return found

    def malformed_thrice() -> tuple[str, list[tuple[str, str]]] | None:
        for mid, attempts in failures().items():
            if len(attempts) >= MAX_RECEIVE_COUNT and "JSONDecodeError" in attempts[0][1]:
                return mid, attempts
        return None

    _, attempts = wait_until(malformed_thrice, timeout=60, what="a non-JSON body failed 3 times")
    assert [t.split("receiveCount=", 1)[1].split()[0] for _, t in attempts][:3] == ["1", "2", "3"]
    assert all("request_id=" not in t for _, t in attempts)  # no request ID in a broken body
    messages = _events(logs, group)
    for rid, _ in attempts:
        assert f"START RequestId: {rid} Version: $LATEST" in messages
        assert f"END RequestId: {rid}" in messages
        report = next(m for m in messages if m.startswith(f"REPORT RequestId: {rid}\t"))
        fields = dict(part.split(": ", 1) for part in report.strip("\t").split("\t")[1:])
        assert float(fields["Duration"].removesuffix(" ms")) >= 0
        assert {"Billed Duration", "Memory Size", "Max Memory Used"} <= fields.keys()
    assert any(m.startswith("INIT_START Runtime Version: ") for m in messages)
    assert any("\tInit Duration: " in m for m in messages if m.startswith("REPORT "))


def test_fifo_consumer_logs_json_with_powertools_records(stack: EmbeddedStack, boto3_for) -> None:
    logs = boto3_for("logs", stack.endpoint_url)
    group = stack.resources.fifo_function.log_group

    def records() -> list[dict[str, Any]]:
        return [json.loads(m) for m in _events(logs, group)]

    def failed() -> dict[str, Any] | None:
        return next((r for r in records() if r.get("exception_name")), None)

    failure = wait_until(failed, timeout=60, what="a failed FIFO record")
    assert failure["level"] == "ERROR" and failure["message_id"]
    assert {"timestamp", "location", "service", "cold_start", "function_request_id"} <= (
        failure.keys()
    )
    rid = failure["function_request_id"]
    reports = [
        r
        for r in records()
        if r.get("type") == "platform.report" and r["record"]["requestId"] == rid
    ]
    assert wait_until(
        lambda: [
            r
            for r in records()
            if r.get("type") == "platform.report" and r["record"]["requestId"] == rid
        ],
        what="the invocation's platform.report",
    )
    assert reports == [] or reports[0]["record"]["metrics"]["durationMs"] >= 0
    assert any(r.get("type") == "platform.initStart" for r in records())
    assert any("_aws" in r for r in records())  # EMF metrics


def test_age_metrics_readable_with_get_metric_data(stack: EmbeddedStack, boto3_for) -> None:
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
