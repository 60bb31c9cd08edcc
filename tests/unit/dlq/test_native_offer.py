"""What a console may offer instead of a client-side replay: SQS's move task, for "all,
unfiltered" only, and only where the endpoint has it (moto does not; the fault proxy answers as
AWS would). Also the one mapping from configured replay defaults to a run's options."""

from __future__ import annotations

from typing import Any

from edgewatch.config import ReplaySettings
from edgewatch.dlq.replay import ReplayOptions, Selection, offer_native, plan_replay, replay_options
from edgewatch.dlq.replay.plan import RECEIVE_NOTE
from tests.support.faults import FaultProxy, Reply
from tests.support.sqs import Pair, fill

FAST = ReplayOptions(visibility_timeout_s=30, wait_time_s=0)


async def test_moto_lacks_the_move_task_so_the_offer_says_client_side(
    aws_clients: Any, boto3_sqs: Any, pair: Pair
) -> None:
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(2)))
    plan = await plan_replay(aws_clients, "orders-dlq", options=FAST)
    offer = await offer_native(aws_clients, plan)
    assert not offer.available and offer.plan is None
    assert offer.reason.startswith("not available — this endpoint does not implement")
    assert offer.reason.endswith("client-side replay is used")


async def test_a_partial_selection_is_not_offered_and_nothing_is_asked(
    proxy: FaultProxy, proxy_clients: Any, pair: Pair
) -> None:
    for selection, part in (
        (Selection.build(message_ids=["a"]), "a selection"),
        (Selection.build(filters=["$.status >= 500"]), "only those matching a filter"),
        (Selection.build(limit=5), "only the first 5"),
    ):
        plan = await plan_replay(proxy_clients, "orders-dlq", selection=selection, options=FAST)
        offer = await offer_native(proxy_clients, plan)
        assert offer.plan is None
        assert offer.reason == f"not offered — it moves every message, not {part}"
    assert "ListMessageMoveTasks" not in proxy.operations()


async def test_where_the_endpoint_has_it_the_offer_is_the_same_replay_as_a_move_task(
    proxy: FaultProxy, proxy_clients: Any, pair: Pair
) -> None:
    proxy.rules.append(
        lambda req: Reply({"Results": []}) if req.operation == "ListMessageMoveTasks" else None
    )
    plan = await plan_replay(proxy_clients, "orders-dlq", options=FAST)
    assert plan.mode == "client" and RECEIVE_NOTE in plan.warnings
    offer = await offer_native(proxy_clients, plan)
    native = offer.plan
    assert offer.available and native is not None
    assert offer.reason.startswith("available — ")
    assert native.mode == "native" and native.native is not None and native.native.supported
    assert (native.dlq, native.target, native.estimated) == (plan.dlq, plan.target, plan.estimated)
    assert not native.dry_run and native.options == plan.options
    assert any("adds no edgewatch.replay record" in w for w in native.warnings)
    assert RECEIVE_NOTE not in native.warnings  # a move task receives nothing itself
    # The same decision as asking plan_replay for native mode directly.
    direct = await plan_replay(proxy_clients, "orders-dlq", options=FAST, mode="native")
    assert (direct.mode, direct.warnings) == (native.mode, native.warnings)


def test_replay_options_are_the_configured_defaults_with_a_runs_overrides() -> None:
    defaults = ReplaySettings(rate=20.0, max_replays=2, visibility_timeout_s=90, concurrency=3)
    assert replay_options(defaults, read_only=True) == ReplayOptions(
        rate=20.0, max_replays=2, visibility_timeout_s=90, concurrency=3, read_only=True
    )
    assert replay_options(
        defaults, read_only=False, rate=5.0, force=True, visibility_timeout_s=30, concurrency=1
    ) == ReplayOptions(rate=5.0, max_replays=2, force=True, visibility_timeout_s=30, concurrency=1)
