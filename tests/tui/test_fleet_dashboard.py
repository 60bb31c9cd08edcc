"""The console on a fleet: trouble on top, sort / filter / group keys, every queue reachable by
scrolling, forecasts in the detail, cost in the status bar, alerts and their history."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from textual.widgets import Input

from edgewatch.tui.alerts.screen import AlertHistoryScreen
from edgewatch.tui.common.messages import SnapshotReady
from edgewatch.tui.dashboard.screen import DashboardScreen
from tests.support.tui import NOW
from tests.support.tui_fleet import fleet_app, fleet_queue, fleet_snapshot

SIZE = (120, 36)


def dashboard(app: Any) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


def names(app: Any) -> list[str]:
    return [k.rsplit("/", 1)[-1] for k in dashboard(app).table.keys]


async def test_trouble_on_top_and_o_cycles_the_sort():
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        # crit age and messages expiring in 20 min, then crit depth
        assert names(app)[:2] == ["use1-q042", "euw1-q017"]
        assert len(names(app)) == 60
        view = dashboard(app).view_text().plain
        assert view.startswith("sort trouble · 60 queues")
        await pilot.press("o")
        assert dashboard(app).sort == "name" and names(app)[:2] == ["euw1-q001", "euw1-q003"]
        await pilot.press("o")  # depth
        assert names(app)[0] == "euw1-q017"
        await pilot.press("o")  # age
        assert names(app)[0] == "use1-q042"
        await pilot.press("o", "o")  # dlq, then back to trouble
        assert dashboard(app).sort == "trouble"


async def test_slash_filters_by_region_and_name_escape_clears():
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        await pilot.press("slash")
        box = app.screen.query_one("#filter", Input)
        assert box.display and box.has_focus
        await pilot.press(*"region:eu")
        assert len(names(app)) == 30 and all(n.startswith("euw1-") for n in names(app))
        await pilot.press("space", *"q04")
        assert names(app) == [f"euw1-q04{i}" for i in (1, 3, 5, 7, 9)]
        assert "5 of 60 queues" in dashboard(app).view_text().plain
        await pilot.press("enter")  # keeps the filter, back to the table
        assert dashboard(app).table.has_focus and len(names(app)) == 5
        await pilot.press("escape")
        assert len(names(app)) == 60 and not box.display


async def test_g_groups_by_account_and_region():
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        await pilot.press("g")
        got = names(app)
        assert all(n.startswith("use1-") for n in got[:30])  # account 111.. first
        assert got[0] == "use1-q042"  # the sort holds inside a group
        assert "grouped by account/region" in dashboard(app).view_text().plain
        await pilot.press("g")
        assert not dashboard(app).group


async def test_every_queue_is_reachable_by_scrolling():
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        table = dashboard(app).table
        first_screen = table.visible_keys()
        assert 0 < len(first_screen) < 60
        await pilot.press("end")
        assert table.highlighted_key == table.keys[-1]
        assert table.keys[-1] in table.visible_keys()
        await pilot.press("home")
        seen: set[str] = set()
        for _ in range(60):
            seen.add(table.highlighted_key or "")
            await pilot.press("down")
        assert seen == set(table.keys)
        # What the fleet poller reads first follows the screen.
        app._render()
        assert app.poller._focus == dashboard(app).visible_urls()  # type: ignore[attr-defined]
        assert table.keys[-1] in app.poller._focus  # type: ignore[attr-defined]


async def test_forecast_in_the_detail_and_cost_in_the_status_bar():
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        # the first row, use1-q042: retention 1 h, oldest message 39m10s old when read, 50 s ago
        info = str(app.screen.query_one("#detail-info").render())
        assert "forecast" in info and "loss in 20m50s" in info and "retention 1h00m" in info
        state = app.screen.query_one("#status-bar").state.plain  # type: ignore[attr-defined]
        assert "113 calls/min" in state and "~$46.89/day" in state
        table = dashboard(app).table
        assert table.get_cell(table.keys[0], "forecast").plain == "loss 20m50s"
        assert table.get_cell(table.keys[0], "place").plain == "111111111111 · us-east-1"
        assert table.get_cell(table.keys[0], "fresh").plain == "cw 60s"
        assert table.get_cell(table.keys[1], "fresh").plain == "5s"  # read by attributes


async def test_a_live_crossing_notifies_rings_and_lands_in_the_history():
    app = fleet_app()
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        calm = fleet_snapshot(q017=fleet_queue(17, visible=3), q042=fleet_queue(42))
        app.post_message(SnapshotReady(calm))
        await pilot.pause()
        assert list(app.alerts.engine.history) == [] and bells == []
        app.post_message(SnapshotReady(fleet_snapshot(q042=fleet_queue(42))))
        await pilot.pause()
        # 3 -> 1,500 in 49 s: over the depth threshold, and growing with a real backlog
        history = list(app.alerts.engine.history)
        assert {(e.queue, e.kind) for e in history} == {
            ("euw1-q017", "depth"),
            ("euw1-q017", "drain_eta"),
        }
        assert bells == [1]
        assert any("euw1-q017" in n.message for n in app._notifications)
        await pilot.press("a")
        assert isinstance(app.screen, AlertHistoryScreen)
        body = str(app.screen.query_one("#alert-history-body").render())
        assert "2 firing now" in body and "depth 1,500 ≥ 1,000" in body
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


def test_fleet_dashboard_snapshot(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        pilot.app.apply_snapshot(fleet_snapshot())
        await pilot.pause()

    assert snap_compare(fleet_app(), terminal_size=SIZE, run_before=run_before)


async def test_a_stalled_consumer_under_every_threshold_is_flagged_and_sorts_on_top():
    from edgewatch.forecast.model import CountsPeriod

    # 20 messages, the oldest 3m20s old (under the 3m45s age warning), three minutes of
    # CloudWatch counts: 5 received and none deleted each minute.
    periods = tuple(CountsPeriod(NOW - 240 + 60 * i, 60, 0.0, 5.0, 0.0) for i in range(3))
    stalled = fleet_queue(
        5,
        visible=20,
        oldest_age_s=200.0,
        oldest_age_at=datetime.fromtimestamp(NOW - 60, UTC),
        counts=periods[-1],
        periods=periods,
    )
    empty_dlq_filling = fleet_queue(9, visible=0)
    app = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot(q005=stalled, q009=empty_dlq_filling))
        await pilot.pause()
        # Messages about to expire first, then the stalled consumer, then the threshold-only
        # crit depth; the stalled row's State says crit although no threshold is crossed.
        assert names(app)[:3] == ["use1-q042", "euw1-q005", "euw1-q017"]
        table = dashboard(app).table
        key = table.keys[1]
        assert table.get_cell(key, "forecast").plain == "stalled"
        assert table.get_cell(key, "state").plain == "crit"
        assert stalled.level == "ok"


async def test_detail_says_where_thresholds_come_from_and_draws_no_dlq_line_without_a_dlq():
    app = fleet_app()  # no config file: the built-in defaults
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        text = str(app.screen.query_one("#detail-thresholds").render())
        assert "(defaults: no config file)" in text and "from config" not in text
        # use1-q042 has no DLQ: no flat zero line for a series that does not exist
        assert app.screen.query_one("#spark-dlq_visible").visible is False
        assert app.screen.query_one("#spark-visible").visible is True


async def test_a_wide_terminal_does_not_stretch_the_queue_column_past_the_names():
    app = fleet_app()
    async with app.run_test(size=(250, 40)) as pilot:
        app.apply_snapshot(fleet_snapshot())
        await pilot.pause()
        # Names are 9 cells ("use1-q042"): the column keeps its base width of 22, not the
        # 84 cells SQS's longest name could need.
        assert dashboard(app).table.layout_spec.width_of("queue") == 22
        long = dataclasses.replace(fleet_queue(3), name="x" * 40)
        app.apply_snapshot(fleet_snapshot(q003=long))
        await pilot.pause()
        assert dashboard(app).table.layout_spec.width_of("queue") == 40 + len(" DLQ")
