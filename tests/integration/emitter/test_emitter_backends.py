"""The emitter's partial-failure handling against real queues on both backends: a fault proxy in
front of moto / LocalStack fails chosen entries of a real SendMessageBatch (the rest reach the
server), so what arrives is what the server stored, not what a script answered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from edgewatch_emitter import Emitter

from tests.support.backends import Backend
from tests.support.faults import FailEntries, FaultProxy, Request
from tests.support.sqs import receive_all

pytestmark = pytest.mark.backends  # moto and LocalStack


def fail_once(sender_fault: bool) -> Any:
    """Fail the entries of n=3 and n=7 in the first SendMessageBatch only."""
    state = {"calls": 0}

    def rule(req: Request) -> FailEntries | None:
        if req.operation != "SendMessageBatch":
            return None
        state["calls"] += 1
        if state["calls"] > 1:
            return None
        return FailEntries(
            lambda e: json.loads(e["MessageBody"])["n"] in (3, 7),
            code="InternalError" if not sender_fault else "InvalidParameterValue",
            sender_fault=sender_fault,
        )

    return rule


async def test_entries_failed_by_the_server_side_are_retried_alone(
    backend: Backend, boto3_sqs: Any, proxy: FaultProxy
) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="events")["QueueUrl"]
    proxy.rules.append(fail_once(sender_fault=False))
    async with Emitter(queue_url, endpoint_url=proxy.endpoint_url) as emitter:
        for n in range(10):
            emitter.emit({"n": n})
        result = await emitter.flush(20)
    assert result.complete and result.stats.sent == 10 and result.stats.retried == 2
    messages = await receive_all(boto3_sqs, queue_url, 10)
    assert sorted(json.loads(m["Body"])["n"] for m in messages) == list(range(10))  # once each


async def test_sender_faults_are_not_retried_and_the_rest_arrive(
    backend: Backend, boto3_sqs: Any, proxy: FaultProxy
) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="events")["QueueUrl"]
    proxy.rules.append(fail_once(sender_fault=True))
    async with Emitter(queue_url, endpoint_url=proxy.endpoint_url) as emitter:
        for n in range(10):
            emitter.emit({"n": n})
        result = await emitter.flush(20)
    assert result.stats.sent == 8 and result.stats.failed == 2 and result.stats.retried == 0
    messages = await receive_all(boto3_sqs, queue_url, 8)
    assert sorted(json.loads(m["Body"])["n"] for m in messages) == [0, 1, 2, 4, 5, 6, 8, 9]
