"""SQS's own move task (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask) run
for real against LocalStack, and the same requests on moto, which lacks it, falling back to
client-side replay.

LocalStack moves one message at a time and waits ``1 / MaxNumberOfMessagesPerSecond`` between
two, so a low rate keeps a task running long enough to watch and cancel it; no test waits on a
clock, only on the task's reported state.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from edgewatch.dlq.replay import (
    ReplayEngine,
    ReplayOptions,
    ReplayProgress,
    detect_native,
    offer_native,
    plan_replay,
)
from edgewatch.dlq.replay.native import NativeMove
from tests.support.backends import Backend
from tests.support.sqs import Pair, body_of, drain, fill, make_pair
from tests.support.waiting import wait_until

pytestmark = pytest.mark.backends  # moto and LocalStack

COUNT = 60


def options(rate: float | None = None) -> ReplayOptions:
    return ReplayOptions(rate=rate, visibility_timeout_s=30, wait_time_s=0, native_poll_s=0.05)


def arn_of(sqs: Any, url: str) -> str:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attrs["QueueArn"])


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [body_of(m) for m in messages]


async def test_a_move_task_reports_progress_and_is_cancelled_midway(
    backend: Backend, aws_clients, boto3_sqs, pair: Pair
) -> None:
    """LocalStack: a real move task, watched and cancelled. moto: the fallback, said so, and the
    client-side replay cancelled the same way. Either way nothing is lost."""
    sent = [f"m{i:02d}" for i in range(COUNT)]
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": b} for b in sent))
    plan = await plan_replay(aws_clients, "orders-dlq", mode="native", options=options(rate=20))
    if backend.is_localstack:
        assert plan.mode == "native"
    else:
        assert plan.mode == "client"
        assert any("native move unavailable" in w and "moto" in w for w in plan.warnings)

    engine = ReplayEngine(aws_clients, plan)
    moved_seen: list[int] = []
    async for event in engine.events():
        if isinstance(event, ReplayProgress) and not event.done:
            moved_seen.append(event.moved)
            if event.moved >= 10:
                engine.cancel()
    result = engine.result
    assert result.cancelled and result.error is None
    assert moved_seen == sorted(moved_seen) and len(set(moved_seen)) >= 2  # progress, not a jump
    assert 10 <= result.moved < COUNT

    arrived, left = (
        bodies(drain(boto3_sqs, pair.source_url)),
        bodies(drain(boto3_sqs, pair.dlq_url)),
    )
    assert len(arrived) == result.moved
    assert sorted(arrived + left) == sent  # every message is in exactly one place
    if backend.is_localstack:
        tasks = boto3_sqs.list_message_move_tasks(SourceArn=pair.dlq_arn)["Results"]
        assert tasks[0]["Status"] == "CANCELLED"
        assert tasks[0]["ApproximateNumberOfMessagesMoved"] == result.moved


async def test_a_move_task_to_another_queue_than_the_source(
    backend: Backend, aws_clients, boto3_sqs, pair: Pair
) -> None:
    other = boto3_sqs.create_queue(QueueName="orders-reprocess")["QueueUrl"]
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"r{i}"} for i in range(12)))
    plan = await plan_replay(
        aws_clients, "orders-dlq", to="orders-reprocess", mode="native", options=options()
    )
    assert plan.target.url.endswith("/orders-reprocess")
    assert plan.mode == ("native" if backend.is_localstack else "client")
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.error is None and result.moved == 12
    assert sorted(bodies(drain(boto3_sqs, other))) == sorted(f"r{i}" for i in range(12))
    assert drain(boto3_sqs, pair.source_url) == [] and drain(boto3_sqs, pair.dlq_url) == []


@pytest.mark.parametrize("backend", ["localstack"], indirect=True)
async def test_one_active_task_per_queue_is_reported_before_and_when_starting(
    backend: Backend, aws_clients, boto3_sqs, pair: Pair
) -> None:
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"s{i}"} for i in range(20)))
    first = NativeMove(aws_clients, pair.dlq_arn, arn_of(boto3_sqs, pair.source_url))
    await first.start(rate=1)  # ~20 s: still running while the second is tried
    try:
        support = await detect_native(aws_clients, pair.dlq_arn)
        assert support.supported and support.active is not None
        assert support.active.status == "RUNNING"

        plan = await plan_replay(aws_clients, "orders-dlq", mode="native", options=options())
        assert plan.mode == "native"
        assert any("already RUNNING" in w and "one per queue" in w for w in plan.warnings)
        result = await ReplayEngine(aws_clients, plan).run()
        assert result.error is not None and "StartMessageMoveTask failed" in result.error
        assert "already a task running" in result.error  # AWS's own words, passed on
        assert result.moved == 0
    finally:
        await first.cancel()
    for _ in range(200):  # bounded: ~10 s
        status = await first.status()
        if status is not None and status.finished:
            break
        await asyncio.sleep(0.05)
    assert status is not None and status.status == "CANCELLED"


async def test_a_fifo_dlq_moves_to_a_fifo_queue_in_group_order(
    backend: Backend, aws_clients, boto3_sqs
) -> None:
    """AWS redrives FIFO DLQs into FIFO queues (only); the order within a group holds."""
    fifo = make_pair(boto3_sqs, "payments", fifo=True)
    fill(
        boto3_sqs,
        fifo.dlq_url,
        (
            {
                "MessageBody": json.dumps({"g": g, "seq": i}),
                "MessageGroupId": f"g{g}",
                "MessageDeduplicationId": f"{g}-{i}",
            }
            for i in range(6)
            for g in range(2)
        ),
    )
    plan = await plan_replay(aws_clients, fifo.dlq_url, mode="native", options=options())
    assert plan.mode == ("native" if backend.is_localstack else "client")
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.error is None and result.moved == 12
    seqs: dict[int, list[int]] = {}
    for message in drain(boto3_sqs, fifo.source_url):
        body = json.loads(body_of(message))
        assert message["Attributes"]["MessageGroupId"] == f"g{body['g']}"
        seqs.setdefault(body["g"], []).append(body["seq"])
    assert seqs == {0: list(range(6)), 1: list(range(6))}


async def test_a_fifo_dlq_to_a_standard_queue_is_never_a_move_task(
    backend: Backend, aws_clients, boto3_sqs
) -> None:
    """AWS refuses a move task between queue types; edgewatch does not try: client-side, said."""
    fifo = make_pair(boto3_sqs, "payments", fifo=True)
    boto3_sqs.create_queue(QueueName="payments-standard")
    fill(
        boto3_sqs,
        fifo.dlq_url,
        [{"MessageBody": "p", "MessageGroupId": "g", "MessageDeduplicationId": "1"}],
    )
    plan = await plan_replay(
        aws_clients, fifo.dlq_url, to="payments-standard", mode="native", options=options()
    )
    assert plan.mode == "client"
    expected = "DLQ's type" if backend.is_localstack else "moto does not"
    assert any("native move unavailable" in w and expected in w for w in plan.warnings)
    offer = await offer_native(aws_clients, plan.with_dry_run())
    assert not offer.available and "client-side replay is used" in offer.reason


async def test_the_console_offers_native_only_where_it_runs(
    backend: Backend, aws_clients, boto3_sqs, pair: Pair
) -> None:
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "x"}])
    plan = await plan_replay(aws_clients, "orders-dlq", options=options(), dry_run=True)
    offer = await offer_native(aws_clients, plan)
    if backend.is_localstack:
        assert offer.available and offer.plan is not None and offer.plan.mode == "native"
    else:
        assert not offer.available and "moto does not" in offer.reason


async def test_detection_costs_one_call_and_moves_nothing(
    backend: Backend, aws_clients, boto3_sqs, pair: Pair
) -> None:
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"d{i}"} for i in range(3)))
    support = await asyncio.wait_for(detect_native(aws_clients, pair.dlq_arn), 30)
    assert support.supported is backend.is_localstack and support.active is None
    assert len(drain(boto3_sqs, pair.dlq_url)) == 3


@pytest.mark.parametrize("backend", ["localstack"], indirect=True)
def test_without_a_destination_localstack_fails_on_messages_sent_to_the_dlq(
    backend: Backend, boto3_sqs: Any, pair: Pair
) -> None:
    """AWS sends such messages back to "their source"; LocalStack's task fails on them (they
    carry no source). edgewatch always names the destination, so it never meets this."""
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "direct"}])
    boto3_sqs.start_message_move_task(SourceArn=pair.dlq_arn)
    for _ in range(200):  # bounded: ~10 s
        task = boto3_sqs.list_message_move_tasks(SourceArn=pair.dlq_arn)["Results"][0]
        if task["Status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert task["Status"] == "FAILED" and task["ApproximateNumberOfMessagesMoved"] == 0
    # nothing lost: visible again once the task's 1 s receive lease ends
    back = wait_until(lambda: drain(boto3_sqs, pair.dlq_url), timeout=10, what="the message")
    assert bodies(back) == ["direct"]
