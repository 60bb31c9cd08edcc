"""Core helpers the DLQ screen uses: request IDs of cut-off bodies, and the offline dry run of
held messages (same decisions as the engine, FIFO order kept)."""

from __future__ import annotations

from dataclasses import replace

from edgewatch.dlq.replay import (
    DlqMessage,
    QueueInfo,
    ReplayOptions,
    ReplayPlan,
    Selection,
    preview_held,
    request_id_of,
)


def test_request_id_of_a_cut_off_body() -> None:
    msg = DlqMessage("m", "rh", '{"v":1,"request_id":"abc-123","session_id":"s-1","ty')
    assert msg.request_id is None and request_id_of(msg) == "abc-123"
    assert request_id_of(DlqMessage("m", "rh", "no id here")) is None


def test_preview_held_blocks_the_rest_of_a_fifo_group() -> None:
    def info(name: str) -> QueueInfo:
        return QueueInfo(f"http://x/{name}", f"arn:{name}", name, True, 1_048_576, 30, 0, 0)

    base = DlqMessage("a", "rh", "ok", system={"MessageGroupId": "g"})
    msgs = [base, replace(base, message_id="b", body="bad\x00"), replace(base, message_id="c")]
    plan = ReplayPlan(
        dlq=info("d.fifo"),
        target=info("t.fifo"),
        target_reason="--to",
        mode="client",
        selection=Selection.build(message_ids=["a", "b", "c"]),
        dry_run=False,
        estimated=0,
        options=ReplayOptions(),
    )
    result = preview_held(plan, msgs)
    assert result.plan.dry_run
    assert [o.status for o in result.outcomes.values()] == ["would_move", "failed", "held"]
    assert result.would_move == 1 and result.failed == 1 and result.held == 1
