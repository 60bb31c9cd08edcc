"""The replay confirmation on a small terminal: however long the dry run's preview, the Replay
and Cancel buttons, the notes and the native-move line stay on screen; the preview scrolls."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.geometry import Region
from textual.widget import Widget

from edgewatch.dlq.models import DlqMessage
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
from tests.support.tui import fixed_app, queue_url


def info(name: str) -> QueueInfo:
    arn = f"arn:aws:sqs:eu-west-1:0:{name}"
    return QueueInfo(queue_url(name), arn, name, False, 1_048_576, 30, 3, 0)


def messages(n: int) -> list[DlqMessage]:
    return [
        DlqMessage(f"0b6f6c1e-{i:04d}-4b5e-9d1a-{i:012d}", f"rh-{i}", f'{{"order": {i}}}',
                   system={"ApproximateReceiveCount": "4"})
        for i in range(n)
    ]  # fmt: skip


def plan(*, native: bool) -> ReplayPlan:
    return ReplayPlan(
        dlq=info("edge-analytics-dlq"),
        target=info("edge-analytics"),
        target_reason="its source queue (ListDeadLetterSourceQueues)",
        mode="client",
        selection=Selection() if native else Selection.build(message_ids=["x"]),
        dry_run=False,
        estimated=40,
        options=ReplayOptions(rate=50.0),
        warnings=("a note the operator must read before replaying",),
        native=NativeSupport(True, "StartMessageMoveTask is available") if native else None,
    )


def on_screen(widget: Widget, size: tuple[int, int]) -> bool:
    region = widget.region
    return region.area > 0 and Region(0, 0, *size).contains_region(region)


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_buttons_and_notes_stay_on_screen_and_the_preview_scrolls(
    size: tuple[int, int], native: bool
) -> None:
    app = fixed_app()
    the_plan = plan(native=native)
    preview = preview_held(the_plan, messages(40))
    async with app.run_test(size=size) as pilot:
        offer = await offer_native(app.runtime.clients, the_plan)
        dialog = ReplayConfirmScreen(the_plan, preview, offer)
        await app.push_screen(dialog)
        await pilot.pause()
        for selector in ("#confirm-yes", "#confirm-no", "#confirm-native-line", "#confirm-text"):
            assert on_screen(dialog.query_one(selector), size), selector
        if native:
            assert on_screen(dialog.query_one("#confirm-native"), size)
        head = str(dialog.query_one("#confirm-text").render())
        assert "Dry run: would move 40" in head and "note: a note the operator" in head
        body = dialog.query_one("#confirm-body")
        assert on_screen(body, size) and body.region.height >= 1
        preview_text = str(dialog.query_one("#confirm-preview").render())
        assert "… and 32 more" in preview_text
        if size == (80, 24):
            assert body.max_scroll_y > 0  # more than fits: it scrolls instead of pushing
        await pilot.press("n")
        assert app.screen is not dialog


async def test_a_short_preview_takes_only_its_own_height() -> None:
    app = fixed_app()
    the_plan = replace(plan(native=False), estimated=2)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ReplayConfirmScreen(the_plan, preview_held(the_plan, messages(2)), None)
        await app.push_screen(dialog)
        await pilot.pause()
        body = dialog.query_one("#confirm-body")
        assert body.region.height == 2 and body.max_scroll_y == 0
        assert on_screen(dialog.query_one("#confirm-yes"), (80, 24))
