"""Browsing (pages, receive counts, release, hand-over) and visibility leases, on real moto."""

from __future__ import annotations

import json
import time

import pytest

from edgewatch.dlq.lease import LeaseKeeper
from edgewatch.dlq.queues import receive_messages
from edgewatch.dlq.replay import (
    BROWSE_WARNING,
    DlqBrowser,
    ReplayEngine,
    ReplayOptions,
    plan_replay,
)
from edgewatch.dlq.selection import Selection
from tests.support.faults import FailEntries
from tests.support.sqs import body_of, depth, drain, fill

pytestmark = pytest.mark.backends  # moto and LocalStack


async def test_pages_hold_messages_and_release_them_on_exit(aws_clients, boto3_sqs, pair):
    fill(
        boto3_sqs,
        pair.dlq_url,
        (
            {
                "MessageBody": json.dumps({"request_id": f"r{i}"}),
                "MessageAttributes": {"b": {"DataType": "Binary", "BinaryValue": bytes([i])}},
            }
            for i in range(25)
        ),
    )
    async with DlqBrowser(aws_clients, "orders-dlq", wait_time_s=0) as browser:
        assert BROWSE_WARNING in browser.warnings and "ApproximateReceiveCount" in BROWSE_WARNING
        pages = [await browser.next_page(10) for _ in range(3)]
        assert [len(p.messages) for p in pages] == [10, 10, 5]
        assert pages[2].exhausted and pages[2].held == 25
        first = pages[0].messages[0]
        assert first.receive_count == 1 and first.request_id is not None
        assert first.attributes["b"].binary_value is not None
        assert depth(boto3_sqs, pair.dlq_url) == (0, 25)
        assert await browser.release([first.message_id]) == 1
        assert depth(boto3_sqs, pair.dlq_url) == (1, 24)
    assert depth(boto3_sqs, pair.dlq_url) == (25, 0)
    async with DlqBrowser(aws_clients, pair.dlq_url, wait_time_s=0) as again:
        page = await again.next_page(25)
        assert len(page.messages) == 25
        assert {m.receive_count for m in page.messages} == {2}  # browsing counted as receives


async def test_fifo_browse_says_groups_are_held(aws_clients, boto3_sqs, fifo_pair):
    fill(
        boto3_sqs,
        fifo_pair.dlq_url,
        [{"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1"}],
    )
    async with DlqBrowser(aws_clients, fifo_pair.dlq_url, wait_time_s=0) as browser:
        page = await browser.next_page()
        assert page.messages[0].group_id == "g" and page.messages[0].deduplication_id == "1"
        assert any("FIFO" in w for w in browser.warnings)


async def test_selected_messages_are_handed_to_replay(aws_clients, boto3_sqs, pair):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(12)))
    async with DlqBrowser(aws_clients, "orders-dlq", wait_time_s=0) as browser:
        page = await browser.next_page(12)
        chosen = [m.message_id for m in page.messages[2:5]]
        options = ReplayOptions(visibility_timeout_s=30, wait_time_s=0)
        plan = await plan_replay(
            aws_clients,
            "orders-dlq",
            selection=Selection.build(message_ids=chosen),
            options=options,
        )
        assert plan.estimated == 0  # all 12 are held by the browser: none visible
        result = await ReplayEngine(aws_clients, plan, held=browser.take(chosen)).run()
        assert result.ok and sorted(o.message_id for o in result.by_status("moved")) == sorted(
            chosen
        )
        assert len(browser.messages) == 9
    assert depth(boto3_sqs, pair.dlq_url) == (9, 0)
    assert sorted(body_of(m) for m in drain(boto3_sqs, pair.source_url)) == sorted(
        body_of({"Body": m.body}) for m in page.messages[2:5]
    )


async def test_keeper_extends_due_leases_and_marks_lost_ones(proxy, proxy_clients, boto3_sqs, pair):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(3)))
    now = [1000.0]
    keeper = LeaseKeeper(proxy_clients, pair.dlq_url, 30, clock=lambda: now[0])
    msgs = await receive_messages(
        proxy_clients, pair.dlq_url, max_messages=10, visibility_timeout=30, wait_time_s=0
    )
    for m in msgs:
        keeper.add(m.message_id, m.receipt_handle, now[0])
    await keeper.extend_due()
    assert "ChangeMessageVisibilityBatch" not in proxy.operations()  # nothing due yet
    now[0] += 20  # within V/2 of expiry
    lost = msgs[0].message_id
    proxy.rules.append(
        lambda req: (
            FailEntries(lambda e: e["Id"] == "m0", code="ReceiptHandleIsInvalid")
            if req.operation == "ChangeMessageVisibilityBatch"
            else None
        )
    )
    await keeper.extend_due()
    assert proxy.operations().count("ChangeMessageVisibilityBatch") == 1
    assert not keeper.is_safe(lost)
    assert all(keeper.is_safe(m.message_id) for m in msgs[1:])
    now[0] += 25  # 45 s after the receive: only the extended ones are still ours
    assert all(keeper.is_safe(m.message_id) for m in msgs[1:])
    proxy.rules.clear()
    assert await keeper.release() == 2  # the lost one is not ours to release
    assert len(keeper) == 0


async def test_visibility_is_extended_during_a_slow_send(proxy, proxy_clients, boto3_sqs, pair):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(5)))

    def slow_send(req):
        if req.operation == "SendMessageBatch":
            time.sleep(3.0)  # longer than the 2 s lease: only extensions keep the messages
        return None

    proxy.rules.append(slow_send)
    options = ReplayOptions(visibility_timeout_s=2, concurrency=1, wait_time_s=0)
    result = await ReplayEngine(
        proxy_clients, await plan_replay(proxy_clients, "orders-dlq", options=options)
    ).run()
    assert result.ok and result.moved == 5 and result.duplicated == 0
    assert "ChangeMessageVisibilityBatch" in proxy.operations()
    assert proxy.operations().count("ReceiveMessage") == 2  # never received a second time
    assert depth(boto3_sqs, pair.dlq_url) == (0, 0)
    assert len(drain(boto3_sqs, pair.source_url)) == 5


async def test_a_lease_that_could_not_be_extended_is_reported_possibly_duplicated(
    proxy, proxy_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(3)))

    def slow_send_and_lost_leases(req):
        if req.operation == "SendMessageBatch":
            time.sleep(3.0)
        if req.operation == "ChangeMessageVisibilityBatch":
            return FailEntries(lambda e: True, code="ReceiptHandleIsInvalid")
        return None

    proxy.rules.append(slow_send_and_lost_leases)
    options = ReplayOptions(visibility_timeout_s=2, concurrency=1, wait_time_s=0)
    result = await ReplayEngine(
        proxy_clients, await plan_replay(proxy_clients, "orders-dlq", options=options)
    ).run()
    assert not result.ok and result.moved == 0 and result.duplicated == 3
    assert all("lease ran out" in (o.reason or "") for o in result.by_status("possibly_duplicated"))
    assert len(drain(boto3_sqs, pair.source_url)) == 3  # in the target: never lost
