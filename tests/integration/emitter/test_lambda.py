"""Lambda handlers flush before they return, within the invocation's remaining time."""

from __future__ import annotations

from typing import Any

import pytest
from edgewatch_emitter import Emitter
from edgewatch_emitter.aws_lambda import FakeContext, LambdaFlushReport, flush_before_return
from edgewatch_emitter.threaded import ThreadedEmitter

from edgewatch.simulator.moto_server import MotoServer, free_port
from tests.support.sqs import depth


def test_a_sync_handler_has_sent_everything_when_it_returns(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    url = boto3_sqs.create_queue(QueueName="lambda-sync")["QueueUrl"]
    emitter = ThreadedEmitter(url, endpoint_url=moto_server.endpoint_url, linger_ms=60_000)

    @flush_before_return(emitter)
    def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
        for i in range(event["n"]):
            emitter.emit({"i": i})
        return {"statusCode": 200}

    try:
        assert handler({"n": 30}, FakeContext(remaining_ms=20_000)) == {"statusCode": 200}
        report = handler.last_report
        assert report.complete and report.unsent == 0 and report.stats.sent == 30
        assert depth(boto3_sqs, url)[0] == 30  # already in SQS at the return, not later
    finally:
        emitter.close()


def test_a_short_deadline_returns_in_time_and_counts_what_missed_it() -> None:
    url = f"http://127.0.0.1:{free_port()}/000000000000/down"
    emitter = ThreadedEmitter(
        url, credentials=("k", "s"), region="us-east-1", max_retries=10_000, linger_ms=60_000
    )
    reports: list[LambdaFlushReport] = []

    @flush_before_return(emitter, margin_ms=1_000, drop_late=True, on_report=reports.append)
    def handler(event: dict[str, Any], context: Any) -> str:
        for i in range(20):
            emitter.emit({"i": i})
        return "done"

    context = FakeContext(remaining_ms=1_500)
    try:
        assert handler({}, context) == "done"
        assert context.get_remaining_time_in_millis() > 0  # returned before Lambda's deadline
        (report,) = reports
        assert report is handler.last_report
        assert not report.complete and report.unsent == 20 and report.deadline_ms <= 500
        stats = report.stats
        assert stats.sent == 0 and stats.in_flight + stats.dropped + stats.failed == 20
    finally:
        emitter.close(0.1)


async def test_an_async_handler_with_an_asyncio_emitter(
    moto_server: MotoServer, boto3_sqs: Any
) -> None:
    url = boto3_sqs.create_queue(QueueName="lambda-async")["QueueUrl"]
    async with Emitter(url, endpoint_url=moto_server.endpoint_url, linger_ms=60_000) as emitter:

        @flush_before_return(emitter)
        async def handler(event: dict[str, Any], context: Any) -> int:
            for i in range(12):
                emitter.emit({"i": i})
            return 12

        assert await handler({}, FakeContext(remaining_ms=20_000)) == 12
        assert handler.last_report.complete and emitter.stats().sent == 12


def test_a_sync_handler_cannot_use_an_asyncio_emitter() -> None:
    emitter = Emitter("http://127.0.0.1:9/000000000000/q", credentials=("k", "s"))
    with pytest.raises(TypeError, match="ThreadedEmitter"):

        @flush_before_return(emitter)
        def handler(event: Any, context: Any) -> None: ...
