"""The operator's DLQ visit without a screen: a DlqSession on real moto, as a script drives it."""

from __future__ import annotations

import json

import pytest

from edgewatch.dlq.replay import FilterError, ReplayOptions
from edgewatch.dlq.session import DlqSession
from tests.support.sqs import body_of, depth, drain, fill


def _fill(boto3_sqs, url: str, n: int) -> list[str]:
    bodies = [json.dumps({"request_id": f"r{i}", "status": 500 + i}) for i in range(n)]
    fill(boto3_sqs, url, ({"MessageBody": b} for b in bodies))
    return bodies


async def test_browse_select_filter_and_release_gives_everything_back(aws_clients, boto3_sqs, pair):
    _fill(boto3_sqs, pair.dlq_url, 4)
    session = DlqSession(aws_clients, pair.dlq_url, options=ReplayOptions(), wait_time_s=0)
    assert session.can_load()
    page = await session.next_page(10)
    session.add(page.messages, exhausted=page.exhausted)
    assert len(session.messages) == 4 and not session.loading
    assert depth(boto3_sqs, pair.dlq_url) == (0, 4)  # held: received, invisible

    first, *_ = session.messages
    assert session.toggle(first) is True and session.selected == {first}
    assert session.replay_scope() == ([first], None)  # the selection wins over a filter
    assert session.toggle(first) is False

    session.set_filter("$.status >= 502")
    assert [json.loads(m.body)["status"] for m in session.shown()] == [502, 503]
    assert session.replay_scope() == ([], "$.status >= 502")
    with pytest.raises(FilterError, match="expected"):
        session.set_filter("$.status")
    assert session.filter is not None and session.filter.expression == "$.status >= 502"
    session.set_filter("  ")
    assert session.filter is None and len(session.shown()) == 4

    remaining = session.release()
    assert remaining is not None and session.release() is None  # once
    await remaining
    assert not session.can_load()
    assert depth(boto3_sqs, pair.dlq_url) == (4, 0)  # every browsed message is back


async def test_prepare_and_run_a_selection_moves_exactly_it(aws_clients, boto3_sqs, pair):
    bodies = _fill(boto3_sqs, pair.dlq_url, 3)
    session = DlqSession(aws_clients, pair.dlq_url, options=ReplayOptions(), wait_time_s=0)
    page = await session.next_page(10)
    session.add(page.messages, exhausted=page.exhausted)
    chosen = [m for m in session.messages.values() if json.loads(m.body)["status"] == 501]
    session.toggle(chosen[0].message_id)

    ids, expression = session.replay_scope()
    prepared = await session.prepare(ids, expression)
    assert prepared.ids == ids and prepared.preview.would_move == 1
    assert depth(boto3_sqs, pair.dlq_url) == (0, 3)  # a selection is previewed from what is held

    session.start()
    assert session.busy == "running"
    result = await session.run(prepared.plan, ids)
    session.finished(result)
    assert result.ok and result.moved == 1 and session.busy is None and session.result is result
    assert chosen[0].message_id not in session.messages  # handed to the engine, not held here

    remaining = session.release()
    assert remaining is not None
    await remaining
    moved = [body_of(m) for m in drain(boto3_sqs, pair.source_url)]
    assert moved == [bodies[1]]
    assert sorted(body_of(m) for m in drain(boto3_sqs, pair.dlq_url)) == [bodies[0], bodies[2]]


async def test_replaying_all_first_gives_back_what_is_held_for_the_dry_run(
    aws_clients, boto3_sqs, pair
):
    _fill(boto3_sqs, pair.dlq_url, 5)
    session = DlqSession(aws_clients, pair.dlq_url, options=ReplayOptions(), wait_time_s=0)
    page = await session.next_page(10)
    session.add(page.messages, exhausted=page.exhausted)
    told: list[bool] = []

    prepared = await session.prepare([], None, on_released=lambda: told.append(True))
    assert told == [True] and session.messages == {} and not session.exhausted
    assert prepared.preview.would_move == 5  # the dry run saw every message
    assert depth(boto3_sqs, pair.dlq_url) == (5, 0)  # and moved none
    remaining = session.release()
    assert remaining is not None
    await remaining
