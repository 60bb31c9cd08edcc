"""The acceptance replay: 1,000 messages with every attribute type, and a multi-group FIFO DLQ.

moto rescans a whole queue for every message it receives or stores, so a queue
1,000 deep costs ~0.1 s per message per pass. A consumer thread drains the target while the
replay runs — as the pipeline's worker would — so the only deep queue is the DLQ itself.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from edgewatch.dlq.replay import REPLAY_ATTRIBUTE, ReplayEngine, ReplayOptions, plan_replay
from tests.support.sqs import body_of, depth, drain, fill, make_pair

pytestmark = pytest.mark.slow


def attributes(i: int) -> dict:
    return {
        "tenant": {"DataType": "String", "StringValue": f"tenant-{i % 13} ✓"},
        "attempt": {"DataType": "Number", "StringValue": str(i % 5)},
        "score": {"DataType": "Number.float", "StringValue": f"{i / 7:.6f}"},
        "blob": {"DataType": "Binary", "BinaryValue": i.to_bytes(4, "big") + b"\x00\xff\r\n"},
    }


class Consumer(threading.Thread):
    """Receives and deletes from a queue until ``expected`` messages arrived or time runs out."""

    def __init__(self, sqs: Any, url: str, expected: int, timeout: float) -> None:
        super().__init__(daemon=True)
        self.sqs, self.url, self.expected = sqs, url, expected
        self.deadline = time.monotonic() + timeout
        self.got: list[dict[str, Any]] = []

    def run(self) -> None:
        while len(self.got) < self.expected and time.monotonic() < self.deadline:
            msgs = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                VisibilityTimeout=600,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if msgs:
                self.got += msgs
                self.sqs.delete_message_batch(
                    QueueUrl=self.url,
                    Entries=[
                        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(msgs)
                    ],
                )


async def test_thousand_messages_and_a_fifo_dlq_arrive_identical(aws_clients, boto3_sqs):
    std = make_pair(boto3_sqs, "big")
    sent = {
        json.dumps({"request_id": f"req-{i}", "i": i, "pad": "ü" * (i % 50)}): attributes(i)
        for i in range(1000)
    }
    fill(
        boto3_sqs,
        std.dlq_url,
        ({"MessageBody": b, "MessageAttributes": a} for b, a in sent.items()),
    )
    fifo = make_pair(boto3_sqs, "ledger", fifo=True)
    groups = [f"account-{g}" for g in range(6)]
    fifo_entries = [
        {
            "MessageBody": json.dumps({"g": g, "seq": seq}),
            "MessageGroupId": g,
            "MessageDeduplicationId": f"{g}:{seq}",
            "MessageAttributes": attributes(seq),
        }
        for seq in range(25)
        for g in groups
    ]
    fill(boto3_sqs, fifo.dlq_url, fifo_entries)

    consumer = Consumer(boto3_sqs, std.source_url, expected=1000, timeout=600)
    consumer.start()
    options = ReplayOptions(visibility_timeout_s=60, concurrency=4)
    std_result = await ReplayEngine(
        aws_clients, await plan_replay(aws_clients, std.dlq_url, options=options)
    ).run()
    fifo_result = await ReplayEngine(
        aws_clients, await plan_replay(aws_clients, fifo.dlq_url, options=options)
    ).run()
    consumer.join(timeout=600)

    assert std_result.ok and std_result.moved == 1000, std_result.error
    assert fifo_result.ok and fifo_result.moved == len(fifo_entries), fifo_result.error
    assert depth(boto3_sqs, std.dlq_url) == (0, 0)
    assert depth(boto3_sqs, fifo.dlq_url) == (0, 0)

    assert len(consumer.got) == 1000 and depth(boto3_sqs, std.source_url) == (0, 0)
    for m in consumer.got:
        own = {k: v for k, v in m["MessageAttributes"].items() if k != REPLAY_ATTRIBUTE}
        assert own == sent[body_of(m)]
        assert json.loads(m["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])["count"] == 1
    assert {body_of(m) for m in consumer.got} == set(sent)

    order: dict[str, list[int]] = {g: [] for g in groups}
    for m in drain(boto3_sqs, fifo.source_url):
        body = json.loads(body_of(m))
        assert m["Attributes"]["MessageGroupId"] == body["g"]
        own = {k: v for k, v in m["MessageAttributes"].items() if k != REPLAY_ATTRIBUTE}
        assert own == attributes(body["seq"])
        order[body["g"]].append(body["seq"])
    assert all(seqs == list(range(25)) for seqs in order.values()), order
