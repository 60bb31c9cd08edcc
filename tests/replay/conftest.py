"""Helpers for replay tests: queue pairs on the real moto server, filling and draining them."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.localstack.server import FAKE_CREDENTIALS
from tests.faults import FaultProxy


@dataclass
class Pair:
    """A source queue whose RedrivePolicy points at a DLQ."""

    source_url: str
    dlq_url: str
    dlq_arn: str


def make_pair(sqs: Any, name: str, *, fifo: bool = False, **source_attrs: str) -> Pair:
    suffix = ".fifo" if fifo else ""
    fifo_attrs = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=fifo_attrs)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    source_url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={**fifo_attrs, "RedrivePolicy": redrive, **source_attrs},
    )["QueueUrl"]
    return Pair(source_url, dlq_url, dlq_arn)


def fill(sqs: Any, url: str, entries: Iterable[dict[str, Any]]) -> int:
    """SendMessageBatch in tens; every entry must be accepted."""
    batch: list[dict[str, Any]] = []
    sent = 0

    def flush() -> None:
        nonlocal sent
        resp = sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"e{i}", **e} for i, e in enumerate(batch)]
        )
        assert not resp.get("Failed"), resp["Failed"]
        sent += len(batch)
        batch.clear()

    for entry in entries:
        batch.append(entry)
        if len(batch) == 10:
            flush()
    if batch:
        flush()
    return sent


def depth(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight): moto's counts are exact."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """A bounded condition loop (never sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Receive and delete every visible message, in queue order (FIFO: group by group)."""
    out: list[dict[str, Any]] = []
    while True:
        resp = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=600,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        msgs = resp.get("Messages", [])
        if not msgs:
            return out
        out.extend(msgs)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
            ],
        )


@pytest.fixture
def pair(boto3_sqs: Any) -> Pair:
    return make_pair(boto3_sqs, "orders")


@pytest.fixture
def fifo_pair(boto3_sqs: Any) -> Pair:
    return make_pair(boto3_sqs, "payments", fifo=True)


@pytest.fixture
def proxy(moto_server: Any) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_server.endpoint_url)
    yield p
    p.close()


@pytest.fixture
async def proxy_clients(proxy: FaultProxy) -> AsyncIterator[AwsClients]:
    """Clients that talk to moto through the fault proxy."""
    clients = AwsClients(
        AwsTarget(region="us-east-1", endpoint_url=proxy.endpoint_url, credentials=FAKE_CREDENTIALS)
    )
    yield clients
    await clients.aclose()


def body_of(entry_or_message: dict[str, Any]) -> str:
    return str(entry_or_message.get("MessageBody", entry_or_message.get("Body", "")))
