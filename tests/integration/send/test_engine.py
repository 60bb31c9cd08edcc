"""``send_events`` against moto over HTTP, and against a scripted server for the failure paths."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from edgewatch_emitter import BackoffPolicy

from edgewatch.aws import AwsClients
from edgewatch.send import (
    TEST_ATTRIBUTE,
    CustomEvents,
    EventSource,
    Outgoing,
    QueueTarget,
    SendControl,
    SendError,
    SendOptions,
    SendProgress,
    TemplateEvents,
    parse_body,
    resolve_queue,
    send_events,
)
from tests.support.fault_server import HANG, FaultServer, Partial
from tests.support.sqs import receive_all

pytestmark = pytest.mark.backends  # moto and LocalStack

FAST = {"backoff": BackoffPolicy(0.001, 0.005)}


class Recording:
    """A source that notes when each event is made (= emitted) and can act on it."""

    def __init__(self, inner: EventSource, on_next: Any = None) -> None:
        self.inner = inner
        self.times: list[float] = []
        self.on_next = on_next

    def next(self, now_ms: int) -> Outgoing:
        self.times.append(asyncio.get_running_loop().time())
        if self.on_next is not None:
            self.on_next(len(self.times))
        return self.inner.next(now_ms)


def fault_queue(server: FaultServer, *, fifo: bool = False, limit: int = 262_144) -> QueueTarget:
    return QueueTarget("events", server.queue_url, fifo, limit)


async def test_template_events_arrive_with_the_message_ids_reported(
    aws_clients: AwsClients, boto3_sqs: Any
) -> None:
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue = await resolve_queue(aws_clients, "orders")
    assert queue == QueueTarget("orders", url, False, queue.max_message_bytes)
    reports: list[SendProgress] = []
    result = await send_events(
        aws_clients,
        queue,
        TemplateEvents("response", seed=5),
        SendOptions(count=25, clock=lambda: 1_800_000_000.0, progress_interval_s=0),
        on_progress=reports.append,
    )
    assert result.ok and (result.sent, result.failed, result.dropped) == (25, 0, 0)
    assert [o.index for o in result.outcomes] == list(range(25))
    assert all(o.ack_ms is not None and o.ack_ms >= 0 for o in result.outcomes)
    assert result.ack_ms(0.5) is not None and result.ack_ms(0.99) >= result.ack_ms(0.5)
    final = reports[-1]
    assert (final.total, final.emitted, final.sent, final.done) == (25, 25, 25, 25)
    settled = [o for r in reports for o in r.settled]
    assert sorted(o.index for o in settled) == list(range(25))  # each reported once

    messages = await receive_all(boto3_sqs, url, 25)
    by_id = {m["MessageId"]: m for m in messages}
    assert set(by_id) == {o.message_id for o in result.outcomes}
    for outcome in result.outcomes:
        message = by_id[outcome.message_id]
        body = json.loads(message["Body"])
        assert body["request_id"] == outcome.request_id and body["type"] == "response"
        assert body["emitted_at"] == 1_800_000_000_000
        assert message["MessageAttributes"][TEST_ATTRIBUTE]["StringValue"] == "edgewatch send"
    assert result.to_json()["message_ids"] == [o.message_id for o in result.outcomes]


async def test_fifo_events_are_grouped_by_session(aws_clients: AwsClients, boto3_sqs: Any) -> None:
    url = boto3_sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    queue = await resolve_queue(aws_clients, url)  # a URL works as well as a name
    assert queue.fifo and queue.name == "orders.fifo"
    result = await send_events(
        aws_clients, queue, TemplateEvents("query", seed=2), SendOptions(count=6)
    )
    assert result.ok
    messages = await receive_all(boto3_sqs, url, 6, fifo=True)
    for message in messages:
        body = json.loads(message["Body"])
        assert message["Attributes"]["MessageGroupId"] == body["session_id"]


async def test_unknown_queues_are_refused_by_name_and_by_url(aws_clients: AwsClients) -> None:
    with pytest.raises(SendError, match="no such queue: nope"):
        await resolve_queue(aws_clients, "nope")
    url = f"{aws_clients.target.endpoint_url}/123456789012/gone"
    with pytest.raises(SendError, match="no such queue"):
        await resolve_queue(aws_clients, url)


async def test_rate_paces_emits_and_cancel_stops_them(
    fault_clients: AwsClients, fault_server: FaultServer
) -> None:
    control = SendControl()
    source = Recording(
        TemplateEvents("query", seed=1), on_next=lambda n: n == 4 and control.cancel()
    )
    result = await send_events(
        fault_clients,
        fault_queue(fault_server),
        source,
        SendOptions(count=50, rate=40.0, emitter_options=FAST),
        control=control,
    )
    # event i leaves no earlier than i / rate after the first (a schedule, so no drift either)
    start = source.times[0]
    assert len(source.times) == 4
    assert all(t - start >= i / 40 - 0.002 for i, t in enumerate(source.times))
    assert result.cancelled and not result.ok
    assert (result.sent, result.not_sent) == (4, 46)  # what was emitted is still confirmed
    assert len(fault_server.delivered) == 4


async def test_rejected_and_refused_events_fail_with_a_reason(
    fault_clients: AwsClients, fault_server: FaultServer
) -> None:
    fault_server.script.append(Partial({1: True}))
    bodies = [
        parse_body('{"n": 0}', line=1),
        parse_body('{"n": 1}', line=2),
        parse_body('{"n": "' + "x" * 300 + '"}', line=3),
    ]
    result = await send_events(
        fault_clients,
        fault_queue(fault_server, limit=256),
        CustomEvents(bodies),
        SendOptions(count=3, emitter_options=FAST),
    )
    status = {o.line: (o.status, o.error) for o in result.outcomes}
    assert status[1] == ("sent", None)
    assert status[2] == (
        "failed",
        "rejected (InvalidParameterValue): scripted entry failure",
    )
    assert status[3][0] == "failed" and status[3][1].startswith("line 3: message of ")
    assert (result.sent, result.failed, result.ok) == (1, 2, False)


async def test_a_bad_fifo_group_fails_that_event_only(
    fault_clients: AwsClients, fault_server: FaultServer
) -> None:
    bodies = [parse_body('{"session_id": "has spaces"}'), parse_body('{"session_id": "ok"}')]
    result = await send_events(
        fault_clients,
        fault_queue(fault_server, fifo=True),
        CustomEvents(bodies),
        SendOptions(count=2, emitter_options=FAST),
    )
    assert [o.status for o in result.outcomes] == ["failed", "sent"]
    assert "group id" in (result.outcomes[0].error or "")
    assert fault_server.delivered[0]["MessageGroupId"] == "ok"


async def test_unconfirmed_events_are_dropped_at_the_deadline(
    fault_clients: AwsClients, fault_server: FaultServer
) -> None:
    fault_server.default = HANG
    result = await send_events(
        fault_clients,
        fault_queue(fault_server),
        TemplateEvents("query", seed=3),
        SendOptions(count=3, flush_timeout_s=0.2, emitter_options=FAST),
    )
    assert [o.status for o in result.outcomes] == ["dropped"] * 3
    assert "may have reached SQS" in (result.outcomes[0].error or "")
    assert not result.ok and result.to_json()["dropped"] == 3


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="count"):
        SendOptions(count=0)
    with pytest.raises(ValueError, match="rate"):
        SendOptions(count=1, rate=0)
