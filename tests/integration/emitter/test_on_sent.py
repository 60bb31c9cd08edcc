"""``on_sent``: one receipt per acknowledged event, with the id SQS gave it (to follow it)."""

from __future__ import annotations

from typing import Any

from edgewatch_emitter import DeliveryReceipt, Emitter

from edgewatch.simulator.moto_server import MotoServer
from tests.support.fault_server import SERVER_ERROR, FaultServer, Partial, make_emitter
from tests.support.sqs import receive_all


async def test_receipts_carry_the_message_ids_sqs_reports(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="receipts")["QueueUrl"]
    receipts: list[DeliveryReceipt] = []
    async with Emitter(
        queue_url, endpoint_url=moto_server.endpoint_url, on_sent=receipts.append
    ) as emitter:
        for i in range(23):
            emitter.emit({"n": i})
        result = await emitter.flush(20)
    assert result.complete and result.stats.sent == 23
    assert sorted(r.event["n"] for r in receipts) == list(range(23))
    assert all(r.sequence_number is None and r.attempts == 1 for r in receipts)
    messages = await receive_all(boto3_sqs, queue_url, 23)
    assert {m["MessageId"] for m in messages} == {r.message_id for r in receipts}


async def test_fifo_receipts_have_sequence_numbers(moto_server: MotoServer, boto3_sqs: Any) -> None:
    queue_url = boto3_sqs.create_queue(QueueName="receipts.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    receipts: list[DeliveryReceipt] = []
    async with Emitter(
        queue_url,
        endpoint_url=moto_server.endpoint_url,
        group_id_fn=lambda event: "g",
        on_sent=receipts.append,
    ) as emitter:
        for i in range(3):
            emitter.emit({"n": i})
        assert (await emitter.flush(20)).complete
    assert [r.event["n"] for r in receipts] == [0, 1, 2]
    assert all(r.message_id and r.sequence_number for r in receipts)


async def test_retried_entries_report_their_attempts(fault_server: FaultServer) -> None:
    """Entry 1 fails once (not the sender's fault), then the whole request fails once."""
    fault_server.script.extend([Partial({1: False}), SERVER_ERROR])
    receipts: list[DeliveryReceipt] = []
    async with make_emitter(
        fault_server, on_sent=receipts.append, breaker_threshold=100
    ) as emitter:
        for i in range(3):
            emitter.emit({"n": i})
        assert (await emitter.flush(10)).complete
    attempts = {r.event["n"]: r.attempts for r in receipts}
    assert attempts == {0: 1, 1: 3, 2: 1}
    assert len({r.message_id for r in receipts}) == 3 and all(r.message_id for r in receipts)


async def test_a_raising_callback_loses_nothing(fault_server: FaultServer) -> None:
    def explode(receipt: DeliveryReceipt) -> None:
        raise RuntimeError("callback bug")

    async with make_emitter(fault_server, on_sent=explode) as emitter:
        for i in range(4):
            emitter.emit({"n": i})
        result = await emitter.flush(10)
    assert result.complete and result.stats.sent == 4 and result.stats.failed == 0
