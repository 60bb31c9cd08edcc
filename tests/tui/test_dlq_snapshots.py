"""Screenshots of the DLQ screen and the replay confirmation (fixed messages, frozen clock).

Nothing here talks to AWS: the screen is opened with ``autoload=False`` and fed hand-built
messages; the dialog gets a hand-built plan and the offline preview. Regenerate with
``uv run pytest tests/tui/test_dlq_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from edgewatch.dlq.replay import (
    NativeSupport,
    QueueInfo,
    ReplayOptions,
    ReplayPlan,
    Selection,
    offer_native,
    preview_held,
)
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.screen import DlqScreen, DlqTarget
from tests.support.tui import Scene, fixed_app, frozen_clock, queue_url
from tests.support.tui_dlq import SIZE, fixed_messages


def dlq_screen(scene: Scene, *, read_only: bool = False, down: int = 0) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        app.apply_snapshot(scene.snapshot(), scene.history)  # type: ignore[attr-defined]
        screen = DlqScreen(
            app.runtime.clients,  # type: ignore[attr-defined]
            DlqTarget(queue_url("orders-dlq"), "orders-dlq"),
            read_only=read_only,
            clock=frozen_clock,
            autoload=False,
        )
        await app.push_screen(screen)
        screen.show_messages(fixed_messages(), exhausted=True)
        await pilot.pause()
        for _ in range(down):
            await pilot.press("down")
        await pilot.pause()

    return run_before


def test_dlq_list_and_detail_with_markup_and_ansi(snap_compare: Any, scene: Scene) -> None:
    """A JSON body holding ``[bold red]x[/]`` and an ANSI escape, shown literally and escaped;
    attribute names and values with markup, a binary attribute as base64."""
    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=dlq_screen(scene))


def test_dlq_binary_body_shown_safely(snap_compare: Any, scene: Scene) -> None:
    """A body with NUL, ESC, DEL and U+FFFD: escaped text and a hex dump, nothing raw."""
    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=dlq_screen(scene, down=1))


def test_dlq_read_only(snap_compare: Any, scene: Scene) -> None:
    app = fixed_app(read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=dlq_screen(scene, read_only=True))


def fixed_plan() -> ReplayPlan:
    def info(name: str) -> QueueInfo:
        return QueueInfo(queue_url(name), f"arn:aws:sqs:eu-west-1:0:{name}", name, False,
                         1_048_576, 30, 3, 0)  # fmt: skip

    msgs = fixed_messages()
    return ReplayPlan(
        dlq=info("orders-dlq"),
        target=info("orders"),
        target_reason="its source queue (ListDeadLetterSourceQueues)",
        mode="client",
        selection=Selection.build(message_ids=[m.message_id for m in msgs]),
        dry_run=False,
        estimated=0,
        options=ReplayOptions(rate=50.0),
        warnings=("FIFO DLQ note with [bold]markup[/bold] kept literal",),
    )


def held_back_preview(plan: ReplayPlan) -> Any:
    """The dry run of the fixed messages, the third one replayed 3 times already (held back)."""
    from dataclasses import replace

    from edgewatch.dlq.replay import MessageAttribute

    msgs = fixed_messages()
    record = MessageAttribute(
        "String",
        string_value='{"count":3,"dlq":"orders-dlq","at":"x","message_id":"m","original_message_id":"m"}',
    )
    msgs[2] = replace(msgs[2], attributes={"edgewatch.replay": record})
    return preview_held(plan, msgs)


def test_replay_confirmation(snap_compare: Any, scene: Scene) -> None:
    """Count, target, mode, rate, notes, and the dry run: two would move, one held back (it was
    replayed 3 times already); a selection is not offered SQS's move task (one line says why)."""
    plan = fixed_plan()
    preview = held_back_preview(plan)

    async def run_before(pilot: Pilot[Any]) -> None:
        await dlq_screen(scene)(pilot)
        native = await offer_native(pilot.app.runtime.clients, plan)  # type: ignore[attr-defined]
        await pilot.app.push_screen(ReplayConfirmScreen(plan, preview, native))
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=run_before)


def test_replay_confirmation_with_the_move_task_chosen(snap_compare: Any, scene: Scene) -> None:
    """ "All" on an endpoint with StartMessageMoveTask, ticked with ``t``: the native plan's mode
    and notes, the title "Move all", and the warning that the held-back one moves too."""
    from dataclasses import replace

    support = NativeSupport(True, "StartMessageMoveTask is available")
    plan = replace(fixed_plan(), selection=Selection(), native=support)  # detected: no I/O
    preview = held_back_preview(plan)

    async def run_before(pilot: Pilot[Any]) -> None:
        await dlq_screen(scene)(pilot)
        native = await offer_native(pilot.app.runtime.clients, plan)  # type: ignore[attr-defined]
        await pilot.app.push_screen(ReplayConfirmScreen(plan, preview, native))
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()

    assert snap_compare(fixed_app(), terminal_size=SIZE, run_before=run_before)
