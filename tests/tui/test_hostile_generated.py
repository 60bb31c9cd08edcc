"""Generated hostile input through every renderer of the console (hypothesis, derandomized):
DLQ list cells, detail and body preview, replay outcome lines, Logs list rows and detail panel,
the status table, the queue table and notifications. No raw ESC, C1, bidi control, separator or
lone surrogate may reach the output, markup must stay literal, and nothing may raise."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text

from edgewatch.commands.status_table import build_status_table
from edgewatch.display.escape import escape, safe
from edgewatch.dlq.replay import DlqMessage, MessageAttribute, MessageOutcome
from edgewatch.logs.models import make_line
from edgewatch.metrics.models import MetricsSnapshot, QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dlq.screen import DlqScreen, DlqTarget
from edgewatch.tui.dlq.text import body_text, detail_text, outcome_line, row_cells
from edgewatch.tui.logs import text as log_text
from edgewatch.tui.logs.detail import detail_text as log_detail
from edgewatch.tui.logs.view import row_text
from tests.support.hostile import (
    FRAGMENTS,
    HOSTILE,
    any_hostile,
    assert_clean,
    bodies,
    deep_json,
    forbidden,
    hostile_text,
    json_body,
    render_plain,
)
from tests.support.tui import NOW, fixed_app, fixed_runtime
from tests.support.tui_logs import feed, open_logs

PALETTE = Palette(ok="#00ff00", warn="#ffff00", crit="#ff0000", accent="#00ffff")
MARK = "[bold red]MARK[/]"


def _message(body: str, text: str) -> DlqMessage:
    return DlqMessage(
        "id-" + text[:40],
        "rh",
        body,
        attributes={
            text[:30] or "a": MessageAttribute("String", string_value=text),
            "bin": MessageAttribute("Binary", binary_value=text.encode("utf-8", "replace")),
        },
        system={
            "ApproximateReceiveCount": "4",
            "SentTimestamp": str(int((NOW - 60) * 1000)),
            "MessageGroupId": text,
            "MessageDeduplicationId": text,
            "DeadLetterQueueSourceArn": text,
        },
    )


@HOSTILE
@given(body=bodies, text=hostile_text)
def test_dlq_list_cells_detail_and_preview(body: str, text: str) -> None:
    msg = _message(body, text)
    for cell in row_cells(msg, now=NOW, selected=True, body_width=80, palette=PALETTE):
        assert_clean(render_plain(cell), "list cell")
    assert_clean(render_plain(detail_text(msg, now=NOW, palette=PALETTE)), "detail")
    assert_clean(render_plain(body_text(msg)), "body")
    assert_clean(msg.preview(), "preview")


@HOSTILE
@given(depth_body=deep_json)
def test_deep_bodies_are_text_with_a_reason(depth_body: str) -> None:
    msg = _message(depth_body, "x")
    shown = body_text(msg).plain
    if msg.json is None:
        assert "nested deeper than" in shown
    assert_clean(render_plain(detail_text(msg, now=NOW, palette=PALETTE)), "deep detail")


@HOSTILE
@given(text=any_hostile, status=st.sampled_from(["failed", "held", "possibly_duplicated"]))
def test_replay_outcome_lines(text: str, status: str) -> None:
    outcome = MessageOutcome(
        text[:50], status, reason=text, group_id=text, request_id=text, preview=escape(text)
    )  # type: ignore[arg-type]
    assert_clean(render_plain(outcome_line(outcome, PALETTE)), "outcome")


@HOSTILE
@given(message=st.one_of(bodies, any_hostile), text=hostile_text)
def test_log_rows_and_detail_panel(message: str, text: str) -> None:
    for msg in (message, json_body(text, message)):
        line = make_line(
            event_id=text[:20], timestamp=int(NOW * 1000), log_group=text, stream=text,
            message=msg,
        )  # fmt: skip
        assert_clean(render_plain(row_text(line, PALETTE, 160)), "log row")
        assert "\n" not in row_text(line, PALETTE, 160).plain
        assert_clean(render_plain(log_detail(line, PALETTE)), "log detail")
        assert_clean(log_text.level_label(line.level), "level")


@HOSTILE
@given(name=any_hostile, error=any_hostile)
def test_status_table(name: str, error: str) -> None:
    dlq = QueueStatus(name, "u-dlq", 1, is_dlq=True)
    snapshot = MetricsSnapshot(
        (QueueStatus(name, "u", 3, 0, 0, dlq_url="u-dlq", dlq=dlq, error=error), dlq),
        NOW,
        "degraded",
        error=error,
    )
    assert_clean(render_plain(build_status_table(snapshot, fixed_runtime()), 300), "status")


@HOSTILE
@given(text=any_hostile)
def test_markup_stays_literal(text: str) -> None:
    rendered = render_plain(safe(text + MARK), width=400_000)
    assert MARK in rendered
    assert_clean(rendered, "safe()")
    assert isinstance(safe(text), Text)


# -- whole screens, as the terminal gets them (Pilot): the dashboard with its toasts, the Logs
# screen and the DLQ screen, each filled with every hostile fragment. -----------------------

SCREEN_STRINGS = ["".join(FRAGMENTS[i::8]) + MARK for i in range(8)]  # every fragment, 8 lines


def _screen_text(app) -> str:  # type: ignore[no-untyped-def]
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg))


async def test_whole_screens_and_notifications_stay_clean() -> None:
    app = fixed_app()
    async with app.run_test(size=(160, 40)) as pilot:
        for i, text in enumerate(SCREEN_STRINGS):
            queues = (
                QueueStatus(text, f"u{i}", 3, error=text),
                QueueStatus(text[::-1], f"v{i}", 1, is_dlq=True),
            )
            app.apply_snapshot(MetricsSnapshot(queues, NOW, "down", error=text))
            app.notify(text, title=text, severity="error")
            await pilot.pause()
            assert_clean(_screen_text(app), "dashboard")
        stored = [n.message + n.title for n in app._notifications]
        assert stored and all(not forbidden(s) for s in stored)

        feed(app, *(
            make_line(event_id=f"e{i}", timestamp=int(NOW * 1000) + i, log_group=t, stream=t,
                      message=json_body(t, t) if i % 2 else t)
            for i, t in enumerate(SCREEN_STRINGS)
        ))  # fmt: skip
        screen = await open_logs(pilot)
        await pilot.press("enter")  # the detail panel too
        await pilot.pause()
        assert_clean(_screen_text(app), "logs")
        await pilot.press("escape", "escape")
        await pilot.pause()

        dlq = DlqScreen(
            app.runtime.clients, DlqTarget("u0", SCREEN_STRINGS[0]), clock=app.clock,
            autoload=False,
        )  # fmt: skip
        await app.push_screen(dlq)
        dlq.show_messages([_message(json_body(t, t), t) for t in SCREEN_STRINGS], exhausted=True)
        await pilot.pause()
        assert_clean(_screen_text(app), "dlq")
        assert screen is not None
