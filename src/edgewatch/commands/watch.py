"""``edgewatch watch --alerts [--once] [--json]``: the console's alert rules, headless.

For cron and systemd: the same poller, forecasts and alert engine as the console, the same
webhook. Each alert event is one line on stdout (``--json``: one object per line, the shape of
:meth:`AlertEvent.to_json`). On a terminal a firing alert also rings the bell and, where the
terminal supports it, raises a desktop notification.

With ``--once``, a poll that produces no alert event still says so, in one line: plain
"no alert firing: N queue(s) checked"; ``--json`` an object with the event's ``at``, ``state``
(``"ok"``) and ``summary`` plus ``alerts`` (``[]``) and ``queues_checked``, so stdout is always
valid JSON lines.

Alert state (the episodes and cooldowns) is kept between runs in a small file
(:mod:`edgewatch.alerts.state`; ``--state-file``, ``alerts.state_file``, ``--no-state``): a cron
job every minute posts an alert once per cooldown, not once per run. An alert still firing
within its cooldown is, with ``--once``, one line of state ``"active"`` (the event's shape),
notified nowhere.

Exit codes: 0 no alert; 3 an alert is firing (``--once``) or fired during the run (until
SIGINT/SIGTERM); 1 the endpoint could not be reached; 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgewatch.alerts.engine import AlertEngine, AlertEvent
from edgewatch.alerts.notify import Webhook, terminal_alert
from edgewatch.alerts.state import AlertStateFile, default_state_path
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.commands.fleet_option import add_fleet_option, with_fleet
from edgewatch.display.escape import escape
from edgewatch.fleet.factory import make_poller
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.runtime import Runtime

EXIT_ALERT = 3


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "watch",
        parents=[common],
        help="run the alert rules headless (cron/systemd); exit 3 on an alert",
    )
    parser.add_argument(
        "--alerts",
        action="store_true",
        required=True,
        help="evaluate thresholds and forecasts ([alerts] in the config)",
    )
    parser.add_argument("--once", action="store_true", help="one poll, then exit")
    parser.add_argument("--json", action="store_true", help="one JSON object per alert event")
    state = parser.add_mutually_exclusive_group()
    state.add_argument(
        "--state-file",
        type=Path,
        metavar="PATH",
        help="keep cooldowns between runs here (default: alerts.state_file, else "
        "$XDG_STATE_HOME/edgewatch/alerts.json)",
    )
    state.add_argument("--no-state", action="store_true", help="keep no alert state between runs")
    add_fleet_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    ctx = with_fleet(args, ctx)
    rules = ctx.settings.alerts
    state: AlertStateFile | None = None
    if not args.no_state and (args.state_file is not None or rules.state):
        state = AlertStateFile(args.state_file or rules.state_file or default_state_path())
    return run_with_runtime(
        ctx, lambda runtime: _watch(runtime, once=args.once, as_json=args.json, state=state)
    )


class _Watch:
    def __init__(
        self, runtime: Runtime, *, as_json: bool, state: AlertStateFile | None = None
    ) -> None:
        settings = runtime.settings
        self.book = ForecastBook(settings.forecast)
        self.engine = AlertEngine(settings.alerts)
        self.state = state
        if state is not None and (problem := state.load(self.engine)):
            error(problem)
        self.webhook = Webhook(settings.alerts)
        self.as_json = as_json
        self.terminal = sys.stderr.isatty()
        self.fired = False
        self.printed = 0  # alert events printed
        self._last_error: str | None = None

    def _print(self, ev: AlertEvent) -> None:
        self.printed += 1
        if self.as_json:
            print(json.dumps(ev.to_json()), flush=True)
        else:
            print(f"{ev.to_json()['at']} {ev.text}", flush=True)

    def print_active(self) -> None:
        """``--once`` without an event while alerts fire: notified already, in their cooldown."""
        for ev in self.engine.active:
            doc = {**ev.to_json(), "state": "active"}
            if self.as_json:
                print(json.dumps(doc), flush=True)
            else:
                text = escape(f"{ev.queue}: {ev.summary}", one_line=True)
                print(f"{doc['at']} edgewatch still firing (notified, in cooldown): {text}")
        sys.stdout.flush()

    def save_state(self) -> None:
        if self.state is not None and (problem := self.state.save(self.engine)):
            error(problem)

    def print_quiet(self, snapshot: MetricsSnapshot) -> None:
        """One line for a ``--once`` poll without an alert event (cron wants an answer)."""
        doc = quiet_json(snapshot)
        if self.as_json:
            print(json.dumps(doc), flush=True)
        else:
            print(f"{doc['at']} {doc['summary']}", flush=True)

    async def on_snapshot(self, snapshot: MetricsSnapshot) -> None:
        if snapshot.error != self._last_error and snapshot.error:
            error(snapshot.error)
        self._last_error = snapshot.error
        events = self.engine.evaluate(snapshot, self.book.update(snapshot))
        if snapshot.connection != "down":  # a failed poll says nothing about the alerts
            self.save_state()
        rules = self.engine.settings
        for ev in events:
            self._print(ev)
            self.fired |= ev.state == "firing"
            if self.terminal:
                sys.stderr.write(
                    terminal_alert(ev, os.environ, bell=rules.bell, desktop=rules.desktop)
                )
                sys.stderr.flush()
        for problem in await asyncio.gather(*(self.webhook.send(ev) for ev in events)):
            if problem:
                error(problem)


def quiet_json(snapshot: MetricsSnapshot) -> dict[str, Any]:
    """The ``--once`` answer when no alert event fired: shaped like an event line."""
    n = len(snapshot.queues)
    return {
        "at": datetime.fromtimestamp(snapshot.polled_at, UTC).isoformat(),
        "state": "ok",
        "summary": f"no alert firing: {n} queue{'' if n == 1 else 's'} checked",
        "alerts": [],
        "queues_checked": n,
    }


async def _watch(
    runtime: Runtime, *, once: bool, as_json: bool, state: AlertStateFile | None = None
) -> int:
    poller = make_poller(runtime)
    watch = _Watch(runtime, as_json=as_json, state=state)
    try:
        if once:
            snapshot = await poller.poll_once()
            await watch.on_snapshot(snapshot)
            if snapshot.connection == "down":
                return EXIT_FAILURE
            if not watch.printed and watch.engine.active:
                watch.print_active()
            elif not watch.printed:
                watch.print_quiet(snapshot)
            return EXIT_ALERT if watch.engine.active else EXIT_OK

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(poller.run(watch.on_snapshot))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        stopped.cancel()
        results = await asyncio.gather(task, stopped, return_exceptions=True)
        crash = next(
            (
                r
                for r in results
                if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)
            ),
            None,
        )
        if crash is not None:
            error(f"watch stopped: {crash}")
            return EXIT_FAILURE
        return EXIT_ALERT if watch.fired else EXIT_OK
    finally:
        await watch.webhook.aclose()
        await poller.aclose()
