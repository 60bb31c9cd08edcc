"""The dashboard driven by hand (no polling): table updates, literal text, states, themes."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest
from rich.text import Text

from edgewatch.display import formatting as fmt
from edgewatch.metrics.models import QueueStatus
from edgewatch.tui.dashboard.queue_table import COMPACT, WIDE, QueueTable
from edgewatch.tui.dashboard.screen import DashboardScreen
from tests.support.tui import NOW, THRESHOLDS, Scene, fixed_app, queue_url

MARKUP = "[bold red]x[/]"


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text (from the SVG export)."""
    svg = app.export_screenshot()
    lines = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return html.unescape("".join(lines)).replace("\xa0", " ")


def table(app: Any) -> QueueTable:
    return app.query_one(QueueTable)


def cell(app: Any, name: str, column: str) -> Text:
    return table(app).get_cell(queue_url(name), column)


class Spy:
    """Records calls to a table method while still calling it."""

    def __init__(self, target: Any, name: str) -> None:
        self.calls: list[tuple[Any, ...]] = []
        original = getattr(target, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(args)
            return original(*args, **kwargs)

        setattr(target, name, wrapper)


async def test_rows_show_counts_dlq_and_na(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        assert table(app).keys == [q.url for q in scene.queues]
        assert cell(app, "orders", "visible").plain == "812"
        assert cell(app, "payments", "visible").plain == "1,532"
        assert cell(app, "orders", "dlq").plain == "orders-dlq 7"
        assert cell(app, "orders-dlq", "queue").plain == "orders-dlq DLQ"  # marked as a DLQ
        assert cell(app, "events.fifo", "age").plain == "n/a"  # no CloudWatch point: never 0
        assert cell(app, "events.fifo", "state").plain == "stale"
        assert cell(app, MARKUP, "visible").plain == "—"  # unknown count, not 0
        assert cell(app, "orders", "age").plain == "4m00s"
        assert cell(app, "orders", "trend").plain.strip() != ""


async def test_threshold_colours_come_from_the_theme(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        warn, crit = app.theme_variables["warning"], app.theme_variables["error"]
        assert app.current_theme.name == "edgewatch-dark" and warn != crit

        def style(name: str, column: str) -> str:
            return str(cell(app, name, column).spans[-1].style)

        assert warn in style("orders", "visible")  # 812 ≥ 75 % of 1000
        assert crit in style("payments", "visible")  # 1532 ≥ 1000
        assert warn in style("orders", "age")  # 240 s ≥ 225 s
        assert crit in style("orders-dlq", "age")  # 930 s ≥ 300 s
        assert crit in style("orders", "dlq")  # DLQ depth 7 ≥ 1
        assert crit in style(MARKUP, "state")  # the error row

        app.theme = "edgewatch-light"  # colours follow a theme change
        await pilot.pause()
        assert app.theme_variables["error"] in style("payments", "visible")


async def test_only_changed_rows_are_updated(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        t = table(app)
        writes, rebuilds = Spy(t, "_set_row"), Spy(t, "_rebuild")

        app.apply_snapshot(scene.snapshot(), scene.history)  # nothing changed
        assert (writes.calls, rebuilds.calls) == ([], [])

        changed = tuple(replace(q, in_flight=15) if q.name == "orders" else q for q in scene.queues)
        app.apply_snapshot(scene.snapshot(queues=changed), scene.history)
        assert [key for key, _ in writes.calls] == [queue_url("orders")]
        assert cell(app, "orders", "in_flight").plain == "15"

        t.move_cursor(row=2)  # payments
        without_dlq_row = tuple(q for q in changed if q.name != "orders-dlq")
        app.apply_snapshot(scene.snapshot(queues=without_dlq_row), scene.history)
        assert queue_url("orders-dlq") not in t.keys
        new = QueueStatus("zz-new", queue_url("zz-new"), 1, 0, 0, thresholds=THRESHOLDS)
        app.apply_snapshot(scene.snapshot(queues=(*without_dlq_row, new)), scene.history)
        await pilot.pause()
        assert [key for key, _ in writes.calls][-1] == queue_url("zz-new")
        assert rebuilds.calls == []
        assert t.keys[-1] == queue_url("zz-new")
        assert t.highlighted_key == queue_url("payments")  # the cursor stayed on its queue


async def test_a_changed_row_is_rendered_again_and_only_it(scene: Scene) -> None:
    """A poll that changes one queue renders that row again, not the whole table."""
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        t = table(app)
        t.move_cursor(row=t.keys.index(queue_url("payments")))
        await pilot.pause()
        before = t.renders
        line = 1 + t.keys.index(queue_url("orders"))  # under the header row

        changed = tuple(
            replace(q, in_flight=4321) if q.name == "orders" else q for q in scene.queues
        )
        app.apply_snapshot(scene.snapshot(queues=changed), scene.history)
        await pilot.pause()
        assert t.renders - before == 1
        assert "4,321" in t.render_line(line).text
        other = 1 + t.keys.index(queue_url("payments"))
        assert "4,321" not in t.render_line(other).text


async def test_keys_move_the_cursor_and_the_detail_follows(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        t = table(app)
        await pilot.press("down", "down")
        assert t.cursor_row == 2 and t.highlighted_key == t.keys[2]
        await pilot.press("end")
        assert t.cursor_row == t.row_count - 1
        await pilot.press("home")
        assert t.cursor_row == 0
        await pilot.press("up")  # stays on the first row
        assert t.cursor_row == 0
        await pilot.click(QueueTable, offset=(3, 2))  # the second row, under the header
        assert t.cursor_row == 1
        await pilot.pause()
        name = next(q.name for q in scene.queues if q.url == t.keys[1])
        assert name in str(app.query_one("#detail-head").render())


async def test_reordered_queues_rebuild_keeping_the_cursor(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        table(app).move_cursor(row=2)
        reordered = tuple(reversed(scene.queues))
        app.apply_snapshot(scene.snapshot(queues=reordered), scene.history)
        await pilot.pause()
        assert table(app).keys == [q.url for q in reordered]
        assert table(app).highlighted_key == queue_url("payments")


async def test_markup_in_names_and_errors_is_literal(scene: Scene) -> None:
    error = "AccessDenied: [bold]not authorised[/bold] to read [red]this[/]"
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        assert cell(app, MARKUP, "queue").plain == MARKUP
        table(app).move_cursor(row=4)  # the markup queue: its detail pane shows the full error
        await pilot.pause()
        text = screen_text(app)
        assert MARKUP in text
        assert error in text

        notes: list[tuple[str, dict[str, Any]]] = []
        app.notify = lambda message, **kw: notes.append((message, kw))  # type: ignore[method-assign]
        app.apply_snapshot(scene.snapshot(connection="down", error=f"down {MARKUP}"))
        await pilot.pause()
        assert f"down {MARKUP}" in screen_text(app)  # the banner
        assert notes == [(f"down {MARKUP}", notes[0][1])] and notes[0][1]["markup"] is False


async def test_endpoint_down_notifies_once_and_recovers(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        notes: list[str] = []
        app.notify = lambda message, **kw: notes.append(kw.get("title", ""))  # type: ignore[method-assign]
        app.apply_snapshot(scene.snapshot(), scene.history)
        for i in range(3):  # three failed polls in a row
            down = scene.snapshot(
                connection="down", error="endpoint unreachable", polled_at=NOW + i
            )
            app.apply_snapshot(down)
        await pilot.pause()
        banner = app.query_one("#alert-banner")
        assert banner.display and "NOT CONNECTED" in screen_text(app)
        assert notes == ["Not connected"]
        app.apply_snapshot(scene.snapshot())
        await pilot.pause()
        assert not banner.display
        assert notes == ["Not connected", "Connected again"]
        assert app.is_running


async def test_status_bar(scene: Scene) -> None:
    app = fixed_app(read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "connecting" in screen_text(app)
        app.apply_snapshot(scene.snapshot(last_success_at=NOW - 3, metrics_at=NOW - 42))
        await pilot.pause()
        text = screen_text(app)
        for expected in (
            "http://sqs.edgewatch.test:4566",
            "eu-west-1",
            "● degraded",
            "polled 3s ago",
            "CloudWatch 42s ago",
            "read-only",
        ):
            assert expected in text
        app.apply_snapshot(scene.snapshot(metrics_error="AccessDenied", metrics_at=None))
        await pilot.pause()
        assert "CloudWatch error" in screen_text(app)


async def test_embedded_banner() -> None:
    app = fixed_app(embedded=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "EMBEDDED LOCAL STACK — simulated data" in screen_text(app)
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "EMBEDDED LOCAL STACK" not in screen_text(app)


async def test_empty_endpoint_says_so(scene: Scene) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_snapshot(scene.snapshot(queues=()))
        await pilot.pause()
        assert "No queues at this endpoint" in screen_text(app)


@pytest.mark.parametrize(("width", "layout"), [(80, COMPACT), (120, WIDE)])
async def test_column_set_follows_width(scene: Scene, width: int, layout: Any) -> None:
    app = fixed_app()
    async with app.run_test(size=(width, 24)) as pilot:
        app.apply_snapshot(scene.snapshot(), scene.history)
        await pilot.pause()
        assert table(app).layout_spec.name == layout.name
        assert table(app).column_keys == [c.key for c in layout.columns]
        # nothing scrolls sideways: the columns fit the terminal
        assert table(app).virtual_size.width <= width
        other = WIDE if layout is COMPACT else COMPACT
        await pilot.resize_terminal(200 - width, 24)
        await pilot.pause()
        assert table(app).layout_spec.name == other.name
        assert len(table(app).keys) == len(scene.queues)


async def test_queue_names_take_the_spare_width_and_dlq_tails_stay_readable() -> None:
    names = ("edge-analytics-consumer-events.fifo", "edge-analytics-consumer-events-dlq.fifo")
    assert COMPACT.fitted(80) == COMPACT  # nothing spare at 80 columns
    wide = WIDE.fitted(250)
    assert wide.width_of("queue") >= len(names[1]) + 4 and wide.width_of("dlq") > 16
    assert sum(c.width + 2 for c in wide.columns) <= 250
    assert WIDE.fitted(120).width_of("queue") == WIDE.width_of("queue") + 2  # the 2 spare
    dlq_cell = fmt.truncate_middle(names[1], COMPACT.width_of("dlq") - 2)  # " " and a 1-digit depth
    assert dlq_cell.endswith("-dlq.fifo") and dlq_cell != fmt.truncate_middle(
        names[0], COMPACT.width_of("dlq") - 2
    )


async def test_unknown_theme_falls_back_with_a_notification() -> None:
    app = fixed_app(theme="no-such-theme")
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "edgewatch-dark"
        assert "Unknown theme 'no-such-theme'" in screen_text(app)


async def test_builtin_textual_theme_is_accepted() -> None:
    app = fixed_app(theme="nord")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        assert isinstance(app.screen, DashboardScreen)
