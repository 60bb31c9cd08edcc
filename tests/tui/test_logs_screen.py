"""The Logs screen, key by key: open, follow/unfollow, "N new lines", filter, details, copy,
pause, back; the bounded buffer; cross-navigation with ``show_request``.

Lines are delivered through the app's own ingest path (what the tail worker calls); the app
never polls or ticks by itself, so every assertion is about a state the test produced.
"""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Input

from edgewatch.logs.models import LogBatch, SourceNotice
from edgewatch.logs.tail import LogTail
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.screen import DashboardScreen
from edgewatch.tui.logs.detail import LogDetail
from edgewatch.tui.logs.screen import LogsScreen, NewLinesBar
from edgewatch.tui.logs.view import LogView
from tests.support.denied import DeniedServer
from tests.support.tui import run_palette_command, wait_for
from tests.support.tui_logs import (
    OTHER_RID,
    RID,
    ScriptedSource,
    feed,
    log_line,
    logs_app,
    logs_screen,
    many,
    open_logs,
    text_line,
    unconfigured_logs_app,
    wheel,
)

SIZE = (120, 36)


def status(screen: LogsScreen) -> str:
    return str(screen.query_one("#logs-status", TextStatic).render())


def filter_line(screen: LogsScreen) -> str:
    return str(screen.query_one("#logs-filter-line", TextStatic).render())


def bar(screen: LogsScreen) -> str:
    return str(screen.query_one(NewLinesBar).render())


def footer_keys(app: Any) -> dict[str, str]:
    return {
        b.binding.key: b.binding.description
        for b in app.screen.active_bindings.values()
        if b.binding.show and b.enabled
    }


async def test_l_opens_the_buffered_lines_and_escape_or_q_goes_back() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 50))  # read while the dashboard showed: kept in the app's buffer
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        assert len(view.lines) == 50
        assert view.follow and view.cursor == 49
        assert "● following" in status(screen) and "50 lines (max 10,000)" in status(screen)
        keys = footer_keys(app)
        for key, what in (("slash", "Filter"), ("enter", "Details"), ("c", "Copy ID")):
            assert keys.get(key) == what
        assert "l" not in keys  # no second Logs screen from the Logs screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back")
        await open_logs(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="q back")
        assert app.is_running


async def test_palette_command_opens_the_logs_screen() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_palette_command(pilot, "logs", "Logs")
        assert isinstance(app.screen, LogsScreen)


async def test_new_lines_are_followed_while_at_the_end() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 100))
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        feed(app, *many(100, 30))
        await pilot.pause()
        assert view.follow and view.cursor == 129
        assert view.scroll_y == view.max_scroll_y > 0
        assert not screen.query_one(NewLinesBar).display


async def test_moving_up_unfollows_counts_new_lines_and_f_follows_again() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 200))
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        await pilot.press("up")
        assert not view.follow and view.cursor == 198
        assert "not following" in status(screen)
        top = view.scroll_y
        feed(app, *many(200, 5))
        await pilot.pause()
        assert screen.query_one(NewLinesBar).display
        assert "▼ 5 new lines" in bar(screen)
        assert view.scroll_y == top and view.cursor == 198  # what the operator reads stays put
        feed(app, log_line(205, rid=RID))
        await pilot.pause()
        assert "▼ 6 new lines" in bar(screen)
        await pilot.press("f")
        assert view.follow and view.cursor == 205 and view.scroll_y == view.max_scroll_y
        assert not screen.query_one(NewLinesBar).display

        await pilot.press("pageup", "pageup")
        assert not view.follow
        await pilot.press("end")
        assert view.follow


async def test_wheel_up_unfollows_the_indicator_click_and_wheel_down_follow_again() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 200))
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        wheel(view, up=True)
        await wait_for(pilot, lambda: not view.follow, what="follow off after the wheel")
        assert view.scroll_y < view.max_scroll_y
        feed(app, *many(200, 3))
        await pilot.pause()
        assert "▼ 3 new lines" in bar(screen)
        await pilot.click(NewLinesBar)
        await wait_for(pilot, lambda: view.follow, what="follow on after clicking the bar")
        assert view.scroll_y == view.max_scroll_y and view.cursor == 202

        wheel(view, up=True)
        await wait_for(pilot, lambda: not view.follow, what="follow off again")
        for _ in range(10):  # back down to the end: following again
            wheel(view, up=False)
        await wait_for(pilot, lambda: view.follow, what="follow on at the bottom")
        assert not screen.query_one(NewLinesBar).display


async def test_slash_filters_by_request_id_or_text_and_empty_clears() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 40), log_line(40, rid=None, level="ERROR", message="upstream timeout"))
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        field = screen.query_one("#logs-filter-input", Input)

        await pilot.press("slash")
        assert field.display and field.has_focus
        field.value = RID  # pasted (typing 36 keys is slow and tests nothing more)
        await pilot.press("enter")
        assert not field.display and view.has_focus
        assert {line.request_id for line in view.lines} == {RID} and len(view.lines) == 20
        assert f"filter request {RID}" in filter_line(screen)
        assert "20 matching · 41 buffered" in status(screen)
        feed(app, log_line(41, rid=OTHER_RID), log_line(42, rid=RID))  # live lines, filtered
        await pilot.pause()
        assert len(view.lines) == 21 and view.lines[-1].request_id == RID

        await pilot.press("slash")
        assert field.value == RID  # the current filter, to edit
        field.value = ""
        await pilot.press(*"timeout", "enter")
        assert [line.event_id for line in view.lines] == ["ev-000040"]
        assert 'filter text "timeout"' in filter_line(screen)

        await pilot.press("slash", "x", "escape")  # escape cancels the edit, keeps the filter
        assert not field.display
        assert [line.event_id for line in view.lines] == ["ev-000040"]

        await pilot.press("slash")
        field.value = ""
        await pilot.press("enter")
        assert len(view.lines) == 43 and not screen.query_one("#logs-filter-line").display

        await pilot.press("slash")
        field.value = f"id:{OTHER_RID}"
        await pilot.press("enter")
        assert {line.request_id for line in view.lines} == {OTHER_RID}


async def test_enter_shows_the_line_in_full_and_follows_the_cursor() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        error = log_line(
            5, rid=RID, level="ERROR", message="event failed", error="poison event",
            attempt={"n": 3, "of": 3},
        )  # fmt: skip
        feed(app, *many(0, 5), error, log_line(6, rid=OTHER_RID))
        screen = await open_logs(pilot)
        view, detail = screen.query_one(LogView), screen.query_one(LogDetail)
        assert not detail.display
        await pilot.press("up", "enter")
        assert detail.display and detail.line is error
        assert not view.follow  # reading a line: the view holds still
        body = str(detail.query_one(TextStatic).render())
        assert body.startswith("time     2027-01-15T07:50:05.000Z\nlevel    ERROR\nrequest  6f1c")
        assert json.dumps(error.parsed, indent=2) in body  # the whole object, pretty-printed
        assert detail.border_title == f"request {RID}"

        await pilot.press("up")  # the panel follows the cursor
        assert detail.line is view.lines[4]
        await pilot.press("enter")  # again: closes
        assert not detail.display
        await pilot.press("enter", "escape")  # escape closes the panel first...
        assert not detail.display and isinstance(app.screen, LogsScreen)
        await pilot.press("escape")  # ...then leaves
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back")


async def test_double_click_opens_a_line() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 5))
        screen = await open_logs(pilot)
        await pilot.double_click(LogView, offset=(20, 1))
        detail = screen.query_one(LogDetail)
        await wait_for(pilot, lambda: detail.display, what="the panel")
        assert detail.line is screen.query_one(LogView).lines[1]


async def test_c_copies_the_request_id_with_a_notification() -> None:
    app = logs_app()
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def recording_notify(message: str, **kwargs: Any) -> None:
        notes.append((kwargs.get("title", ""), message))
        notify(message, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        feed(app, log_line(0, rid=RID), text_line(1, "Traceback (most recent call last):"))
        await open_logs(pilot)
        await pilot.press("up", "c")
        assert app.clipboard == RID
        assert notes[-1] == ("Copied", f"Request ID {RID} copied.")
        await pilot.press("down", "c")  # a text line has no request ID: said, nothing copied
        assert app.clipboard == RID
        assert notes[-1] == ("Copy", "This line has no request ID.")


async def test_p_pauses_and_resumes_the_tail() -> None:
    app = logs_app()
    source = ScriptedSource()
    tail = LogTail([source])
    async with app.run_test(size=SIZE) as pilot:
        app.logs.start(tail, tick=False)
        source.queue.put_nowait(LogBatch(lines=many(0, 3)))
        await wait_for(pilot, lambda: len(app.logs.feed.buffer) == 3, what="the first lines")
        screen = await open_logs(pilot)
        assert footer_keys(app)["p"] == "Pause"
        await pilot.press("p")
        assert app.logs.paused and tail.paused
        assert "● paused" in status(screen)
        assert footer_keys(app)["p"] == "Resume"
        source.queue.put_nowait(LogBatch(lines=many(3, 2)))
        await pilot.pause()
        assert source.queue.qsize() == 0 and source.delivered == 1  # taken, held at the gate
        assert len(app.logs.feed.buffer) == 3
        await pilot.press("p")
        assert not app.logs.paused and not tail.paused
        await wait_for(pilot, lambda: len(screen.query_one(LogView).lines) == 5, what="resume")
        assert "● following" in status(screen)


async def test_the_buffer_is_bounded_and_the_view_too() -> None:
    app = logs_app(buffer_lines=100)
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 150))
        screen = await open_logs(pilot)
        view = screen.query_one(LogView)
        await pilot.press("up", "up")
        cursor_line = view.selected
        feed(app, *many(150, 100))
        await pilot.pause()
        assert len(app.logs.feed.buffer) == 100 and app.logs.feed.buffer.total == 250
        assert len(view.lines) == 100 and view.lines[0].event_id == "ev-000150"
        assert view.selected is None or view.selected.event_id >= "ev-000150"
        assert cursor_line is not None and cursor_line not in view.lines  # evicted: moved on
        assert "100 lines (max 100)" in status(screen)
        assert "▼ 100 new lines" in bar(screen)


async def test_show_request_filters_to_that_request_and_escape_returns() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        feed(app, *many(0, 30))
        await pilot.pause()
        app.show_request("  ")  # nothing to show: said, no screen
        assert isinstance(app.screen, DashboardScreen)
        app.show_request(OTHER_RID)
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="Logs screen")
        await pilot.pause()
        screen = logs_screen(app)
        view = screen.query_one(LogView)
        assert len(view.lines) == 15 and {x.request_id for x in view.lines} == {OTHER_RID}
        app.show_request(RID)  # already on the Logs screen: the filter changes, no new screen
        await pilot.pause()
        assert app.screen is screen and {x.request_id for x in view.lines} == {RID}
        assert len(app.screen_stack) == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back")


async def test_source_notices_and_missing_source_are_status_lines() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(pilot)
        app.logs.feed.started = True
        app.logs.ingest(
            LogBatch(notices=(SourceNotice("/edge/consumer", "throttled", "Rate exceeded", 4.0),))
        )
        await pilot.pause()
        assert "/edge/consumer: Rate exceeded (retry in 4s)" in status(screen)
        app.logs.ingest(LogBatch(notices=(SourceNotice("/edge/consumer", "ok", "resumed"),)))
        app.logs.ingest(
            LogBatch(notices=(SourceNotice("/edge/consumer", "error", "[red]denied[/]"),))
        )
        await pilot.pause()
        assert "/edge/consumer: [red]denied[/]" in status(screen)  # literal, not markup

    server = DeniedServer()  # nothing configured and discovery denied: said on the status line
    try:
        bare = unconfigured_logs_app(server.endpoint_url)
        async with bare.run_test(size=SIZE) as pilot:
            screen = await open_logs(pilot)
            bare.logs.start(tick=False)
            await wait_for(pilot, lambda: "no log group to read" in status(screen), what="said")
            assert "access denied" in status(screen) or "consumer discovery" in status(screen)
    finally:
        server.close()


class BrokenTail:
    """A tail that fails like a bug would: the worker must not crash the app."""

    def __aiter__(self) -> BrokenTail:
        return self

    async def __anext__(self) -> LogBatch:
        raise RuntimeError("tail bug [bold]boom[/]")

    async def aclose(self) -> None:
        return None

    def pause(self) -> None:
        return None

    def resume(self) -> None:
        return None


async def test_a_failing_tail_is_a_status_line_not_a_traceback() -> None:
    app = logs_app()
    async with app.run_test(size=SIZE) as pilot:
        app.logs.start(BrokenTail(), tick=False)  # type: ignore[arg-type]
        await wait_for(pilot, lambda: app.logs.feed.failed is not None, what="the failure")
        screen = await open_logs(pilot)
        assert "log tail stopped: RuntimeError: tail bug [bold]boom[/]" in status(screen)
        assert app.is_running


async def test_at_80_columns_the_state_and_count_show_and_lambda_rows_show_their_message() -> None:
    groups = ["/aws/lambda/edge-analytics-consumer", "/aws/lambda/edge-analytics-enricher"]
    app = logs_app(groups=groups)
    async with app.run_test(size=(80, 24)) as pilot:
        feed(app, *many(0, 3))
        feed(app, text_line(3, f"[INFO]\t2026-11-23T07:50:03.000Z\t{RID}\tbatch of 10 done\n"))
        feed(app, text_line(4, f"2026-11-23T07:50:04.000Z\t{RID}\tWARN\tslow enrich call\n"))
        screen = await open_logs(pilot)
        header = screen.query_one("#logs-status", TextStatic)
        shown = header.render_line(0).text
        assert header.region.right <= 80
        assert "● following" in shown and "5 lines (max 10,000)" in shown, shown
        assert "· /aws/lambda/{edge-analytics-consu" in shown, shown
        assert shown.rstrip().endswith("…")
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        shown = header.render_line(0).text
        assert shown.rstrip().endswith("{edge-analytics-consumer, edge-analytics-enricher}")
        view = screen.query_one(LogView)
        rows = [view.render_line(y).text.rstrip() for y in range(5)]
        assert rows[3].endswith("INFO  6f1c2a9b-3de… batch of 10 done"), rows
        assert rows[4].endswith("WARN  6f1c2a9b-3de… slow enrich call"), rows
        assert not any("2026-11-23T" in row for row in rows)
