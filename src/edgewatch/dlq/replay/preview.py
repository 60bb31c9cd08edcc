"""The dry run of a replay of messages a browser already holds (no AWS calls).

The engine's own dry run receives what it previews; messages the browser holds are invisible to
it, and releasing them for a preview would lose the operator's list. So for "replay the selected
messages" the preview asks :func:`~edgewatch.dlq.replay.batching.prepare` — the very function the
engine decides with — about each held message, in browse order, with the engine's FIFO rule (a
message held back holds back the rest of its group).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from edgewatch.dlq.models import DlqMessage
from edgewatch.dlq.replay.batching import Refusal, prepare
from edgewatch.dlq.replay.events import MessageOutcome, ReplayPlan, ReplayResult


def preview_held(
    plan: ReplayPlan, messages: Sequence[DlqMessage], *, now: datetime | None = None
) -> ReplayResult:
    """What a replay of ``messages`` under ``plan`` would do, as a dry-run result."""
    dry = plan.with_dry_run()
    result = ReplayResult(dry)
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    blocked: set[str] = set()
    for msg in messages:
        group = msg.group_id if plan.dlq.fifo else None
        verdict = prepare(
            msg,
            dlq=plan.dlq,
            target=plan.target,
            replayed_at=stamp,
            max_replays=plan.options.max_replays,
            force=plan.options.force,
        )
        reason: str | None = None
        size = msg.size
        if group and group in blocked:
            status, reason = "held", f"behind a held-back message of group {group}"
        elif isinstance(verdict, Refusal):
            status, reason = verdict.status, verdict.reason
        else:
            status, size = "would_move", verdict.size
        if status != "would_move" and group:
            blocked.add(group)
        result.outcomes[msg.message_id] = MessageOutcome(
            message_id=msg.message_id,
            status=status,  # type: ignore[arg-type]  # one of the literals assigned above
            reason=reason,
            group_id=msg.group_id,
            request_id=msg.request_id,
            size=size,
            preview=msg.preview(100),
        )
        result.counts[status] += 1
    return result
