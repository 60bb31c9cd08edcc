"""SQS helpers for tests: queue pairs on a real server, filling, counting and draining them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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


def body_of(entry_or_message: dict[str, Any]) -> str:
    return str(entry_or_message.get("MessageBody", entry_or_message.get("Body", "")))


async def receive_all(sqs: Any, queue_url: str, expected: int, fifo: bool = False) -> list[dict]:
    """Receive (and delete) until ``expected`` messages arrived, bounded in time."""
    messages: list[dict] = []
    deadline = time.monotonic() + 20
    while len(messages) < expected and time.monotonic() < deadline:
        answer = await asyncio.to_thread(
            sqs.receive_message,
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        batch = answer.get("Messages", [])
        messages += batch
        if batch:
            await asyncio.to_thread(
                sqs.delete_message_batch,
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
    assert len(messages) == expected, f"received {len(messages)} of {expected}"
    return messages
