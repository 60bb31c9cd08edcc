"""Every binding and palette command, asserted by its effect on a real poller and moto."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.worker import WorkerState

from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.metrics.poller import QueuePoller
from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.app import POLL_GROUP
from edgewatch.tui.common.error import PollerErrorScreen
from edgewatch.tui.common.help import HelpScreen
from edgewatch.tui.common.status_bar import StatusBar
from edgewatch.tui.dashboard.queue_table import QueueTable
from edgewatch.tui.logs.screen import LogsScreen
from tests.support.tui import (
    LiveQueues,
    fixed_app,
    live_runtime,
    run_palette_command,
    wait_for,
)

QUIET_WINDOW_S = 1.0  # five poll intervals at 0.2 s: a resumed poller would call many times


def visible(app: EdgewatchApp, url: str) -> str | None:
    table = app.query_one(QueueTable)
    return table.get_cell(url, "visible").plain if url in table.keys else None


async def started(pilot: Any, app: EdgewatchApp, queues: LiveQueues) -> None:
    await wait_for(
        pilot,
        lambda: (
            app.snapshot is not None
            and app.snapshot.connection == "ok"
            and visible(app, queues.payments) is not None
        ),
        what="the first poll of the live queues",
    )


async def open_help(pilot: Any, app: EdgewatchApp) -> str:
    """Press ? and return the help's keys section as plain text."""
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
    return str(app.screen.query_one("#help-keys").render())


async def test_help_key_opens_and_closes_the_help(moto_server: MotoServer) -> None:
    runtime, _ = live_runtime(moto_server)
    app = EdgewatchApp(runtime, auto_poll=False)
    async with app.run_test(size=(120, 36)) as pilot:
        help_text = await open_help(pilot, app)
        for key, what in (("?", "Help"), ("p", "Pause / resume"), ("r", "Refresh"), ("q", "Quit")):
            assert key in help_text and what in help_text
        thresholds = str(app.screen.query_one("#help-thresholds").render())
        assert "Thresholds come from the config" in thresholds
        assert "depth warn ≥750 crit ≥1,000" in thresholds
        assert "warning: at or above 75 %" in str(app.screen.query_one("#help-colours").render())
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="closed")
        await pilot.press("question_mark", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="escape")


async def test_help_lists_sort_filter_and_group_as_three_keys(moto_server: MotoServer) -> None:
    """One row "o / g" read as "o or g" for three keys (o, / and g): each has its own row."""
    runtime, _ = live_runtime(moto_server)
    app = EdgewatchApp(runtime, auto_poll=False)
    async with app.run_test(size=(120, 36)) as pilot:
        lines = [line.split() for line in (await open_help(pilot, app)).splitlines()]
        keys = {words[0]: " ".join(words[1:]) for words in lines if words}
        assert keys["o"].startswith("sort") and "/ g" not in keys["o"]
        assert keys["/"].startswith("filter") and keys["g"].startswith("group")


async def test_help_on_a_screen_lists_that_screens_keys_first(moto_server: MotoServer) -> None:
    runtime, _ = live_runtime(moto_server)
    app = EdgewatchApp(runtime, auto_poll=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="logs")
        help_text = await open_help(pilot, app)
        screen_part, _, everywhere = help_text.partition("Keys everywhere")
        assert screen_part.startswith("Keys on this screen (Worker logs)")
        for key, what in (("/", "Filter"), ("⏎", "Details"), ("c", "Copy ID"), ("f", "Follow")):
            assert f"{key} " in screen_part and what in screen_part
        assert "Focus Next" not in screen_part  # Textual's own keys are not this screen's
        assert "Refresh" in everywhere and "ctrl+q" in everywhere
        # p pauses the tail here, so the app's "pause polling" is not listed as working
        assert "Pause / resume polling" not in everywhere and "Pause" in screen_part
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), what="back to logs")


async def test_pause_stops_api_calls_and_resume_restarts_them(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    runtime, clients = live_runtime(moto_server)
    app = EdgewatchApp(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, live_queues)
        await pilot.press("p")
        assert app.poller.paused
        assert "PAUSED" in str(app.query_one("#alert-banner").render())
        assert "● paused" in app.query_one(StatusBar).state.plain
        # the poller finishes the poll in progress, then reports itself paused
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and app.snapshot.connection == "paused",
            what="the paused snapshot",
        )
        calls = len(clients.calls)
        await asyncio.sleep(QUIET_WINDOW_S)  # asserting an absence: nothing may happen here
        await pilot.pause()
        assert len(clients.calls) == calls, clients.calls[calls:]

        live_queues.send(live_queues.payments, 2)
        await pilot.press("p")
        assert not app.poller.paused
        await wait_for(
            pilot,
            lambda: len(clients.calls) > calls and visible(app, live_queues.payments) == "2",
            what="polling to resume",
        )
        assert "GetQueueAttributes" in clients.calls[calls:]


async def test_refresh_polls_now(moto_server: MotoServer, live_queues: LiveQueues) -> None:
    runtime, clients = live_runtime(moto_server, poll_interval=3600)  # only `r` polls again
    app = EdgewatchApp(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, live_queues)
        first = app.snapshot
        live_queues.send(live_queues.orders, 3)
        calls = len(clients.calls)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: app.snapshot is not first and visible(app, live_queues.orders) == "3",
            what="the refreshed numbers",
        )
        assert "GetQueueAttributes" in clients.calls[calls:]


async def test_quit_cancels_the_worker_and_closes_clients(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    runtime, clients = live_runtime(moto_server)
    app = EdgewatchApp(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, live_queues)
        (worker,) = [w for w in app.workers if w.group == POLL_GROUP]
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert worker.state == WorkerState.CANCELLED
    assert runtime._clients is None  # runtime.aclose() ran
    calls = len(clients.calls)
    await asyncio.sleep(0.5)
    assert len(clients.calls) == calls  # nothing polls after quit


async def test_palette_pause_refresh_and_help(
    moto_server: MotoServer, live_queues: LiveQueues
) -> None:
    runtime, clients = live_runtime(moto_server)
    app = EdgewatchApp(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, live_queues)
        await run_palette_command(pilot, "paus", "Pause polling")
        assert app.poller.paused
        await run_palette_command(pilot, "resu", "Resume polling")
        assert not app.poller.paused

        live_queues.send(live_queues.orders, 4)
        calls = len(clients.calls)
        await run_palette_command(pilot, "refr", "Refresh now")
        await wait_for(
            pilot,
            lambda: visible(app, live_queues.orders) == "4" and len(clients.calls) > calls,
            what="the refresh from the palette",
        )
        await run_palette_command(pilot, "help", "Help")
        assert isinstance(app.screen, HelpScreen)
        assert "Refresh" in str(app.screen.query_one("#help-keys").render())


class FailingOncePoller(QueuePoller):
    """Fails like a bug would on its first run; a restart then delivers one snapshot."""

    runs = 0

    async def run(self, on_snapshot: Any) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("poller bug [bold red]boom[/]")
        await self._emit(
            on_snapshot, MetricsSnapshot((), polled_at=1.0, connection="ok", last_success_at=1.0)
        )
        await asyncio.Event().wait()


async def test_worker_error_becomes_a_modal_and_r_restarts() -> None:
    template = fixed_app()
    poller = FailingOncePoller(template.runtime.clients, template.settings)
    app = EdgewatchApp(template.runtime, poller=poller)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PollerErrorScreen), what="modal")
        assert app.is_running
        error = str(app.screen.query_one("#error-text").render())
        assert error == "RuntimeError: poller bug [bold red]boom[/]"  # literal, not markup
        assert "poller stopped" in app.query_one(StatusBar).state.plain
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: app.poller_error is None and app.snapshot is not None,
            what="the restarted worker's snapshot",
        )
        assert not isinstance(app.screen, PollerErrorScreen)
        assert poller.runs == 2
