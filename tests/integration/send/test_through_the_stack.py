"""A test event through the embedded pipeline: the consumer logs it by request id, and a poison
one is failed until SQS's redrive moves it to the DLQ (after maxReceiveCount receives)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from edgewatch.aws import AwsClients
from edgewatch.logs.models import make_line
from edgewatch.send import SendOptions, TemplateEvents, resolve_queue, send_events
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer
from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.simulator.resources import MAX_RECEIVE_COUNT
from edgewatch.simulator.stack import EmbeddedStack
from tests.support.waiting import async_wait_until


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[EmbeddedStack]:
    """A quiet stack: no poison traffic of its own, so every failure here is ours."""
    config = PipelineConfig(rate_per_s=1.0, fifo_rate_per_s=0.5, poison_rate=0.0)
    with EmbeddedStack(seed=8, config=config) as running:
        yield running


def client(service: str, stack: EmbeddedStack) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=stack.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )


async def wait_for(predicate: Callable[[], Any], what: str) -> Any:
    """A boto3 check, polled off the loop (the stack's consumer runs on it)."""
    return await async_wait_until(predicate, 45.0, what, in_thread=True, interval=0.2)


async def test_a_poison_test_event_is_logged_and_lands_in_the_dlq(stack: EmbeddedStack) -> None:
    clients = AwsClients(stack.target)
    try:
        queue = await resolve_queue(clients, stack.resources.queue.name)
        result = await send_events(
            clients, queue, TemplateEvents("query", poison=True), SendOptions(count=1)
        )
        healthy = await send_events(clients, queue, TemplateEvents("query"), SendOptions(count=1))
    finally:
        await clients.aclose()
    assert result.ok and healthy.ok
    poisoned = result.outcomes[0].request_id
    fine = healthy.outcomes[0].request_id
    logs = client("logs", stack)

    def lines(request_id: str) -> list[Any]:
        """The standard queue's consumer logs in Lambda's plain-text format; its app lines
        name the message and, for a body that parsed, the event's request ID."""
        events = logs.filter_log_events(logGroupName=stack.resources.log_group)["events"]
        return [
            make_line(
                event_id=e["eventId"],
                timestamp=e["timestamp"],
                log_group=stack.resources.log_group,
                stream=e["logStreamName"],
                message=e["message"],
            )
            for e in events
            if f"request_id={request_id}" in e["message"]
        ]

    ok = await wait_for(lambda: lines(fine), "the healthy event's log line")
    assert ok[0].level == "INFO" and healthy.outcomes[0].message_id in ok[0].message_ids

    failures = await wait_for(
        lambda: (found := lines(poisoned)) and len(found) >= MAX_RECEIVE_COUNT and found,
        f"{MAX_RECEIVE_COUNT} failed attempts",
    )
    assert [line.info.receive_count for line in failures[:3]] == [1, 2, 3]
    assert all(line.info.error_type == "SchemaValidationError" for line in failures)

    sqs = client("sqs", stack)

    def in_dlq() -> list[dict[str, Any]]:
        answer = sqs.receive_message(
            QueueUrl=stack.resources.dlq.url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        bodies = [json.loads(m["Body"]) for m in answer.get("Messages", [])]
        return [b for b in bodies if b.get("request_id") == poisoned]

    (body,) = await wait_for(in_dlq, "the poison event in the DLQ")
    assert body["poison"] is True and body["type"] == "query"
