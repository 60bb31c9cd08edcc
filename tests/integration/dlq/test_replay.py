"""Client-side replay against a real moto server over HTTP (faults through a real proxy)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from edgewatch.dlq.models import ReplayRecord
from edgewatch.dlq.replay import (
    REPLAY_ATTRIBUTE,
    MessageOutcome,
    ReplayEngine,
    ReplayError,
    ReplayFinished,
    ReplayOptions,
    ReplayProgress,
    Selection,
    plan_replay,
)
from tests.support.faults import FailEntries, Reply
from tests.support.sqs import Pair, body_of, depth, drain, fill

pytestmark = pytest.mark.backends  # moto and LocalStack

# wait_time_s=0: moto's short poll is exact, so an empty answer is final without the long poll
FAST = ReplayOptions(visibility_timeout_s=30, wait_time_s=0)

ODD_BODIES = [
    "plain",
    '{"request_id": "r-1", "latency_ms": 12}',
    "crlf\r\nand\rcr\ttab",
    "[bold red]not markup[/] \\ backslash",
    "emoji 😀 and \ufffd replacement and \u2028 separator",
    "x" * 5000,
]


def attrs_for(i: int) -> dict[str, Any]:
    return {
        "s": {"DataType": "String", "StringValue": f"value-{i} ünï"},
        "n": {"DataType": "Number", "StringValue": f"{i}.50"},
        "b": {"DataType": "Binary", "BinaryValue": bytes([i % 256, 0, 255, 10, 13]) * 3},
        "custom": {"DataType": "Binary.gzip", "BinaryValue": b"\x1f\x8b\x08\x00" + bytes([i])},
    }


def own_attrs(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.get("MessageAttributes", {}).items() if k != REPLAY_ATTRIBUTE}


async def test_replays_bodies_and_attributes_byte_for_byte(aws_clients, boto3_sqs, pair: Pair):
    sent = {f"{i}:{b}": attrs_for(i) for i, b in enumerate(ODD_BODIES * 3)}
    fill(
        boto3_sqs,
        pair.dlq_url,
        ({"MessageBody": b, "MessageAttributes": a} for b, a in sent.items()),
    )
    plan = await plan_replay(aws_clients, "orders-dlq")  # the defaults: long poll, 4 pipelines
    assert plan.target.url == pair.source_url and "ListDeadLetterSourceQueues" in plan.target_reason
    assert plan.estimated == len(sent) and plan.mode == "client"

    result = await ReplayEngine(aws_clients, plan).run()

    assert result.ok and result.moved == len(sent) and result.failed == 0
    assert depth(boto3_sqs, pair.dlq_url) == (0, 0)
    got = drain(boto3_sqs, pair.source_url)
    assert sorted(body_of(m) for m in got) == sorted(sent)
    for m in got:
        assert own_attrs(m) == sent[body_of(m)]
        record = json.loads(m["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])
        assert record["count"] == 1 and record["dlq"] == pair.dlq_arn


async def test_fifo_keeps_group_order_and_dedups_on_the_message_id(
    aws_clients, boto3_sqs, fifo_pair: Pair
):
    groups = ["g-a", "g-b", "g-c", "g-d"]
    entries = [
        {
            "MessageBody": json.dumps({"group": g, "seq": seq}),
            "MessageGroupId": g,
            "MessageDeduplicationId": f"{g}-{seq}",
            "MessageAttributes": attrs_for(seq),
        }
        for seq in range(12)
        for g in groups
    ]
    fill(boto3_sqs, fifo_pair.dlq_url, entries)
    dlq_ids = {}
    plan = await plan_replay(aws_clients, fifo_pair.dlq_url, options=FAST)
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.ok and result.moved == len(entries)
    for outcome in result.outcomes.values():
        dlq_ids[outcome.message_id] = outcome
    assert depth(boto3_sqs, fifo_pair.dlq_url) == (0, 0)

    got = drain(boto3_sqs, fifo_pair.source_url)
    assert len(got) == len(entries)
    seqs: dict[str, list[int]] = {g: [] for g in groups}
    for m in got:
        body = json.loads(body_of(m))
        assert m["Attributes"]["MessageGroupId"] == body["group"]
        assert m["Attributes"]["MessageDeduplicationId"] in dlq_ids  # the DLQ message id
        assert own_attrs(m) == attrs_for(body["seq"])
        seqs[body["group"]].append(body["seq"])
    assert all(s == list(range(12)) for s in seqs.values()), seqs


async def test_failed_entries_stay_in_the_dlq_exactly(proxy, proxy_clients, boto3_sqs, pair):
    bodies = [f"ok-{i}" if i % 7 else f"fail-me-{i}" for i in range(40)]
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": b} for b in bodies))
    proxy.rules.append(
        lambda req: (
            FailEntries(lambda e: "fail-me" in body_of(e), code="KmsThrottled-ish")
            if req.operation == "SendMessageBatch"
            else None
        )
    )
    plan = await plan_replay(proxy_clients, "orders-dlq", options=FAST)
    events: list[Any] = []
    result = await ReplayEngine(proxy_clients, plan).run(events.append)

    failing = sorted(b for b in bodies if "fail-me" in b)
    assert not result.ok and result.failed == len(failing)
    assert result.moved == len(bodies) - len(failing)
    assert all("KmsThrottled-ish" in (o.reason or "") for o in result.by_status("failed"))
    assert sorted(o.preview for o in result.by_status("failed")) == failing
    assert depth(boto3_sqs, pair.dlq_url) == (len(failing), 0)  # visible again, right away
    assert sorted(body_of(m) for m in drain(boto3_sqs, pair.dlq_url)) == failing
    assert sorted(body_of(m) for m in drain(boto3_sqs, pair.source_url)) == sorted(
        b for b in bodies if "fail-me" not in b
    )
    failed_events = [e for e in events if isinstance(e, MessageOutcome) and e.status == "failed"]
    assert len(failed_events) == len(failing)
    last = [e for e in events if isinstance(e, ReplayProgress)][-1]
    assert last.done and last.failed == len(failing) and last.moved == result.moved
    assert isinstance(events[-1], ReplayFinished)


async def test_server_side_entry_failures_are_retried(proxy, proxy_clients, boto3_sqs, pair):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(15)))
    calls = {"n": 0}

    def flaky(req):
        if req.operation != "SendMessageBatch":
            return None
        calls["n"] += 1
        if calls["n"] == 1:
            return FailEntries(lambda e: True, code="InternalError", sender_fault=False)
        if calls["n"] == 2:
            return "throttle"
        return None

    proxy.rules.append(flaky)
    plan = await plan_replay(proxy_clients, "orders-dlq", options=FAST)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert result.ok and result.moved == 15
    assert depth(boto3_sqs, pair.dlq_url) == (0, 0)
    assert len(drain(boto3_sqs, pair.source_url)) == 15


async def test_a_request_refused_as_a_whole_is_split_to_isolate_the_culprit(
    proxy, proxy_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(10)))
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "poison"}])

    def refuse_poison(req):
        if req.operation == "SendMessageBatch" and b'"poison"' in req.body:
            return Reply(
                {"__type": "com.amazonaws.sqs#InvalidMessageContents", "message": "bad char"},
                status=400,
            )
        return None

    proxy.rules.append(refuse_poison)
    plan = await plan_replay(proxy_clients, "orders-dlq", options=FAST)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert result.moved == 10 and result.failed == 1
    assert "InvalidMessageContents" in (result.by_status("failed")[0].reason or "")
    assert [body_of(m) for m in drain(boto3_sqs, pair.dlq_url)] == ["poison"]


async def test_dry_run_lists_exactly_what_would_move_and_changes_no_depth(
    aws_clients, boto3_sqs, pair
):
    record = ReplayRecord(3, "arn", "t", "x", "x").to_attribute().to_api()
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(25)))
    fill(
        boto3_sqs,
        pair.dlq_url,
        [{"MessageBody": "tired", "MessageAttributes": {REPLAY_ATTRIBUTE: record}}],
    )
    before = depth(boto3_sqs, pair.dlq_url)
    plan = await plan_replay(aws_clients, "orders-dlq", options=FAST, dry_run=True)
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.would_move == 25 and result.held == 1 and result.moved == 0
    assert sorted(o.preview for o in result.by_status("would_move")) == sorted(
        f"m{i}" for i in range(25)
    )
    assert "already replayed 3" in (result.by_status("held")[0].reason or "")
    assert depth(boto3_sqs, pair.dlq_url) == before == (26, 0)
    assert depth(boto3_sqs, pair.source_url) == (0, 0)


async def test_oversized_batches_are_split_by_bytes(proxy, proxy_clients, boto3_sqs, pair):
    big = "y" * 300_000
    blob = {"blob": {"DataType": "Binary", "BinaryValue": b"\x00" * 40_000}}
    for i in range(10):  # one by one: ten of these cannot be sent together
        entry = {"MessageBody": f"{i}:{big}", **({"MessageAttributes": blob} if i > 5 else {})}
        fill(boto3_sqs, pair.dlq_url, [entry])
    options = ReplayOptions(visibility_timeout_s=30, concurrency=1, wait_time_s=0)
    plan = await plan_replay(proxy_clients, "orders-dlq", options=options)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert result.ok and result.moved == 10
    sends = [json.loads(r.body) for r in proxy.seen if r.operation == "SendMessageBatch"]
    assert len(sends) >= 4  # 10 × ≥300 kB cannot go in fewer than four 1 MiB batches
    for request in sends:
        total = 0
        for entry in request["Entries"]:
            total += len(entry["MessageBody"].encode())
            for name, attr in entry.get("MessageAttributes", {}).items():
                value = attr.get("StringValue") or attr.get("BinaryValue")  # base64 on the wire
                total += len(name) + len(attr["DataType"]) + len(value)
        assert total <= 1_048_576 + 60_000  # base64 inflates the binary part a little
    assert sorted(int(body_of(m).split(":")[0]) for m in drain(boto3_sqs, pair.source_url)) == (
        list(range(10))
    )


async def test_replay_limit_holds_back_unless_forced(aws_clients, boto3_sqs, pair):
    tired = ReplayRecord(3, "arn", "t", "x", "orig").to_attribute().to_api()
    fill(
        boto3_sqs,
        pair.dlq_url,
        [
            {"MessageBody": "again", "MessageAttributes": {REPLAY_ATTRIBUTE: tired}},
            {"MessageBody": "fresh"},
        ],
    )
    result = await ReplayEngine(
        aws_clients, await plan_replay(aws_clients, "orders-dlq", options=FAST)
    ).run()
    assert result.ok and result.moved == 1 and result.held == 1
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0)
    forced = ReplayOptions(visibility_timeout_s=30, force=True, wait_time_s=0)
    result = await ReplayEngine(
        aws_clients, await plan_replay(aws_clients, "orders-dlq", options=forced)
    ).run()
    assert result.moved == 1
    bodies = {body_of(m): m for m in drain(boto3_sqs, pair.source_url)}
    record = json.loads(bodies["again"]["MessageAttributes"][REPLAY_ATTRIBUTE]["StringValue"])
    assert record["count"] == 4 and record["original_message_id"] == "orig"


async def test_filter_and_first_n(aws_clients, boto3_sqs, pair):
    fill(
        boto3_sqs,
        pair.dlq_url,
        (
            {"MessageBody": json.dumps({"kind": "poison" if i % 2 else "ok", "i": i})}
            for i in range(20)
        ),
    )
    selection = Selection.build(limit=4, filters=['$.kind == "poison"'])
    plan = await plan_replay(aws_clients, "orders-dlq", selection=selection, options=FAST)
    assert plan.estimated == 4
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.ok and result.moved == 4
    moved = [json.loads(body_of(m)) for m in drain(boto3_sqs, pair.source_url)]
    assert len(moved) == 4 and all(m["kind"] == "poison" for m in moved)
    assert depth(boto3_sqs, pair.dlq_url) == (16, 0)


async def test_explicit_target_and_refusals(aws_clients, boto3_sqs, pair, fifo_pair):
    other = boto3_sqs.create_queue(QueueName="elsewhere")["QueueUrl"]
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "a"}])
    plan = await plan_replay(aws_clients, "orders-dlq", to="elsewhere", options=FAST)
    assert plan.target.url == other and "--to" in plan.target_reason
    assert (await ReplayEngine(aws_clients, plan).run()).moved == 1
    with pytest.raises(ReplayError, match="FIFO"):
        await plan_replay(aws_clients, "orders-dlq", to=fifo_pair.source_url)
    with pytest.raises(ReplayError, match="no queue redrives"):
        await plan_replay(aws_clients, "elsewhere")
    with pytest.raises(ReplayError, match="no such queue"):
        await plan_replay(aws_clients, "missing-dlq")
    with pytest.raises(ReplayError, match="the DLQ itself"):
        await plan_replay(aws_clients, "orders-dlq", to="orders-dlq")
    with pytest.raises(ReplayError, match="native"):
        await plan_replay(aws_clients, "orders-dlq", mode="native", selection=Selection(limit=3))


async def test_cancel_stops_after_the_batch_in_flight_and_loses_nothing(
    aws_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(60)))
    options = ReplayOptions(visibility_timeout_s=30, concurrency=1, wait_time_s=0)
    engine = ReplayEngine(
        aws_clients, await plan_replay(aws_clients, "orders-dlq", options=options)
    )
    seen: list[Any] = []
    async for event in engine.events():
        seen.append(event)
        if isinstance(event, ReplayProgress) and event.moved >= 10:
            engine.cancel()
    result = seen[-1].result
    assert result.cancelled and 10 <= result.moved < 60
    assert depth(boto3_sqs, pair.dlq_url) == (60 - result.moved, 0)  # nothing left invisible
    assert len(drain(boto3_sqs, pair.source_url)) == result.moved


async def test_cancel_does_not_wait_out_the_rate_limit(aws_clients, boto3_sqs, pair):
    """With the clock frozen the limiter never refills: only the cancel can end the run."""
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(30)))
    options = ReplayOptions(rate=5, visibility_timeout_s=30, concurrency=2, wait_time_s=0)
    plan = await plan_replay(aws_clients, "orders-dlq", options=options)
    engine = ReplayEngine(aws_clients, plan, clock=lambda: 0.0)

    async def cancel_after_the_burst() -> None:
        while engine.result.counts["moved"] < 5:
            await asyncio.sleep(0.01)
        engine.cancel()  # the next batches wait for tokens that never come

    canceller = asyncio.create_task(cancel_after_the_burst())
    result = await asyncio.wait_for(engine.run(), timeout=60)  # a hang guard, not a timing check
    await canceller
    assert result.cancelled and result.moved == 5  # the burst: one batch of rate-sized entries
    assert depth(boto3_sqs, pair.dlq_url) == (25, 0)  # the rest released, visible at once
    assert len(drain(boto3_sqs, pair.source_url)) == 5


async def test_unconfirmed_delete_is_possibly_duplicated_never_lost(
    proxy, proxy_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(20)))
    proxy.rules.append(
        lambda req: (
            FailEntries(lambda e: e["Id"] == "d0", code="ReceiptHandleIsInvalid")
            if req.operation == "DeleteMessageBatch"
            else None
        )
    )
    options = ReplayOptions(visibility_timeout_s=30, concurrency=1, wait_time_s=0)
    plan = await plan_replay(proxy_clients, "orders-dlq", options=options)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert not result.ok and result.duplicated == 2 and result.moved == 18
    assert all(
        "stale receipt handle" in (o.reason or "") for o in result.by_status("possibly_duplicated")
    )
    assert depth(boto3_sqs, pair.dlq_url) == (0, 2)  # still there, invisible until the lease ends
    assert len(drain(boto3_sqs, pair.source_url)) == 20


async def test_a_copy_that_comes_back_during_the_run_is_deleted_not_resent(
    proxy, proxy_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(30)))
    state = {"done": False}

    def lose_first_delete(req):
        if req.operation != "DeleteMessageBatch" or state["done"]:
            return None
        state["done"] = True
        entry = json.loads(req.body)["Entries"][0]
        # its lease "runs out": the message is visible in the DLQ again
        boto3_sqs.change_message_visibility(
            QueueUrl=pair.dlq_url, ReceiptHandle=entry["ReceiptHandle"], VisibilityTimeout=0
        )
        return FailEntries(lambda e: e["Id"] == entry["Id"], code="ReceiptHandleIsInvalid")

    proxy.rules.append(lose_first_delete)
    options = ReplayOptions(visibility_timeout_s=30, concurrency=1, wait_time_s=0)
    plan = await plan_replay(proxy_clients, "orders-dlq", options=options)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert result.ok and result.moved == 30 and result.duplicated == 0
    assert any("came back" in (o.reason or "") for o in result.outcomes.values())
    assert depth(boto3_sqs, pair.dlq_url) == (0, 0)
    assert len(drain(boto3_sqs, pair.source_url)) == 30  # sent once


async def test_native_mode_is_detected_and_falls_back_on_moto(
    aws_clients, boto3_sqs, pair, backend
):
    """moto lacks move tasks: client-side, said so; LocalStack has them: native."""
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(5)))
    options = ReplayOptions(visibility_timeout_s=30, wait_time_s=0, native_poll_s=0.05)
    plan = await plan_replay(aws_clients, "orders-dlq", mode="native", options=options)
    assert plan.native is not None
    if backend.is_localstack:
        assert plan.mode == "native" and plan.native.supported
        assert not any("native move unavailable" in w for w in plan.warnings)
    else:
        assert plan.mode == "client" and not plan.native.supported
        assert any("native move unavailable" in w for w in plan.warnings)
    assert (await ReplayEngine(aws_clients, plan).run()).moved == 5
    assert len(drain(boto3_sqs, pair.source_url)) == 5


async def test_native_move_task_progress_and_cancel(proxy, proxy_clients, pair):
    state = {"lists": 0, "cancelled": False}

    def fake_native(req):
        if req.operation == "StartMessageMoveTask":
            body = json.loads(req.body)
            assert body["SourceArn"] == pair.dlq_arn and body["MaxNumberOfMessagesPerSecond"] == 7
            return Reply({"TaskHandle": "task-1"})
        if req.operation == "CancelMessageMoveTask":
            state["cancelled"] = True
            return Reply({"ApproximateNumberOfMessagesMoved": 4})
        if req.operation == "ListMessageMoveTasks":
            state["lists"] += 1
            if state["lists"] == 1:
                return Reply({"Results": []})  # capability probe
            status = "CANCELLED" if state["cancelled"] else "RUNNING"
            moved = min(4, 2 * (state["lists"] - 1))
            return Reply(
                {
                    "Results": [
                        {
                            "TaskHandle": "task-1",
                            "Status": status,
                            "SourceArn": pair.dlq_arn,
                            "ApproximateNumberOfMessagesMoved": moved,
                            "ApproximateNumberOfMessagesToMove": 10,
                        }
                    ]
                }
            )
        return None

    proxy.rules.append(fake_native)
    options = ReplayOptions(rate=7, native_poll_s=0.01)
    plan = await plan_replay(proxy_clients, "orders-dlq", mode="native", options=options)
    assert plan.mode == "native" and plan.native is not None and plan.native.supported
    engine = ReplayEngine(proxy_clients, plan)
    progress: list[ReplayProgress] = []
    async for event in engine.events():
        if isinstance(event, ReplayProgress):
            progress.append(event)
            if event.moved >= 4:
                engine.cancel()
    assert state["cancelled"]
    assert [p.moved for p in progress if p.moved][:2] == [2, 4]
    assert progress[-1].done and progress[-1].remaining == 6
    assert engine.result.cancelled and engine.result.moved == 4


async def test_an_acknowledgment_with_a_different_md5_keeps_the_dlq_copy(
    proxy, proxy_clients, boto3_sqs, pair
):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "precious"}])
    proxy.rules.append(
        lambda req: (
            Reply({"Successful": [{"Id": "m0", "MessageId": "t-1", "MD5OfMessageBody": "0" * 32}]})
            if req.operation == "SendMessageBatch"
            else None
        )
    )
    plan = await plan_replay(proxy_clients, "orders-dlq", options=FAST)
    result = await ReplayEngine(proxy_clients, plan).run()
    assert result.failed == 1 and "MD5 mismatch" in (result.by_status("failed")[0].reason or "")
    assert [body_of(m) for m in drain(boto3_sqs, pair.dlq_url)] == ["precious"]


async def test_fifo_dry_run_says_what_it_could_not_see(aws_clients, boto3_sqs, fifo_pair):
    fill(
        boto3_sqs,
        fifo_pair.dlq_url,
        (
            {"MessageBody": f"s{i}", "MessageGroupId": "one", "MessageDeduplicationId": str(i)}
            for i in range(25)
        ),
    )
    plan = await plan_replay(aws_clients, fifo_pair.dlq_url, options=FAST, dry_run=True)
    result = await ReplayEngine(aws_clients, plan).run()
    assert 0 < result.would_move < 25
    assert any("FIFO: the dry run saw" in note for note in result.notes)
    assert depth(boto3_sqs, fifo_pair.dlq_url) == (25, 0)


async def test_read_only_allows_only_dry_runs(aws_clients, boto3_sqs, pair):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "x"}])
    read_only = ReplayOptions(read_only=True, wait_time_s=0)
    with pytest.raises(ReplayError, match="read-only"):
        await plan_replay(aws_clients, "orders-dlq", options=read_only)
    plan = await plan_replay(aws_clients, "orders-dlq", options=read_only, dry_run=True)
    assert (await ReplayEngine(aws_clients, plan).run()).would_move == 1
    result = await ReplayEngine(aws_clients, plan.with_dry_run(False)).run()
    assert result.moved == 0 and "read-only" in (result.error or "")
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0)
