"""End to end against moto over HTTP: what the emitter sends is what boto3 reads back."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest
from edgewatch_emitter import Emitter

from tests.support.backends import Backend
from tests.support.sqs import receive_all

pytestmark = pytest.mark.backends  # moto and LocalStack


async def test_bodies_and_attributes_arrive_intact(backend: Backend, boto3_sqs: Any) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="events")["QueueUrl"]
    blob = bytes(range(256))
    async with Emitter(queue_url, endpoint_url=backend.endpoint_url) as emitter:
        # credentials and region come from the standard chain (tests/conftest.py sets the env)
        emitter.emit({"kind": "dict", "text": "héllo ✓", "n": 1})
        emitter.emit("plain text ✓ \U0001f600", attributes={"kind": "str", "count": 42})
        emitter.emit(b'{"kind": "bytes"}', attributes={"blob": blob, "ratio": 0.25})
        emitter.emit("delayed-zero", delay_s=0, attributes={"flag": True})
        result = await emitter.flush(20)
    assert result.complete and result.stats.sent == 4

    messages = await receive_all(boto3_sqs, queue_url, 4)
    by_body = {m["Body"]: m for m in messages}
    assert json.loads(next(b for b in by_body if b.startswith("{") and "dict" in b)) == {
        "kind": "dict",
        "text": "héllo ✓",
        "n": 1,
    }
    text = by_body["plain text ✓ \U0001f600"]["MessageAttributes"]
    assert text["kind"] == {"StringValue": "str", "DataType": "String"}
    assert text["count"] == {"StringValue": "42", "DataType": "Number"}
    raw = by_body['{"kind": "bytes"}']["MessageAttributes"]
    binary = raw["blob"]["BinaryValue"]
    assert (binary if isinstance(binary, bytes) else base64.b64decode(binary)) == blob
    assert raw["ratio"] == {"StringValue": "0.25", "DataType": "Number"}
    assert by_body["delayed-zero"]["MessageAttributes"]["flag"]["StringValue"] == "true"


async def test_fifo_order_holds_within_each_group(backend: Backend, boto3_sqs: Any) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    emitter = Emitter(
        queue_url,
        endpoint_url=backend.endpoint_url,
        group_id_fn=lambda event: event["tenant"],
        max_message_bytes=262_144,
    )
    async with emitter:
        assert emitter.fifo
        for seq in range(24):
            emitter.emit({"tenant": f"t{seq % 3}", "seq": seq})
            if seq % 5 == 0:
                await asyncio.sleep(0)  # let batches of different sizes form
        emitter.emit({"tenant": "explicit", "seq": 100}, group_id="g-explicit", dedup_id="d-1")
        result = await emitter.flush(20)
    assert result.complete and result.stats.sent == 25

    messages = await receive_all(boto3_sqs, queue_url, 25, fifo=True)
    sequences: dict[str, list[int]] = {}
    for message in messages:
        group = message["Attributes"]["MessageGroupId"]
        sequences.setdefault(group, []).append(json.loads(message["Body"])["seq"])
    assert sequences.pop("g-explicit") == [100]
    assert set(sequences) == {"t0", "t1", "t2"}
    for group, seqs in sequences.items():
        assert seqs == sorted(seqs), group
        assert len(seqs) == 8


async def test_queue_maximum_message_size_is_discovered(backend: Backend, boto3_sqs: Any) -> None:
    queue_url = boto3_sqs.create_queue(
        QueueName="small", Attributes={"MaximumMessageSize": "1024"}
    )["QueueUrl"]
    async with Emitter(queue_url, endpoint_url=backend.endpoint_url) as emitter:
        emitter.emit("first")
        deadline = time.monotonic() + 10
        while emitter.max_message_bytes != 1024 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert emitter.max_message_bytes == 1024
        try:
            emitter.emit("x" * 2000)
        except ValueError as exc:
            assert "1024" in str(exc)
        else:
            raise AssertionError("an oversized body was accepted")
        await emitter.flush(20)
    messages = await receive_all(boto3_sqs, queue_url, 1)
    assert messages[0]["Body"] == "first"
