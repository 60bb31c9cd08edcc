"""``edgewatch watch --alerts [--once] [--json]``: the console's alert rules, headless.

For cron and systemd: the same poller, forecasts and alert engine as the console, the same
webhook. Each alert event is one line on stdout (``--json``: one object per line, the shape of
:meth:`AlertEvent.to_json`). On a terminal a firing alert also rings the bell and, where the
terminal supports it, raises a desktop notification.

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

from edgewatch.alerts.engine import AlertEngine, AlertEvent
from edgewatch.alerts.notify import Webhook, terminal_alert
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.metrics.poller import QueuePoller
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    return run_with_runtime(ctx, lambda runtime: _watch(runtime, once=args.once, as_json=args.json))


class _Watch:
    def __init__(self, runtime: Runtime, *, as_json: bool) -> None:
        settings = runtime.settings
        self.book = ForecastBook(settings.forecast)
        self.engine = AlertEngine(settings.alerts)
        self.webhook = Webhook(settings.alerts)
        self.as_json = as_json
        self.terminal = sys.stderr.isatty()
        self.fired = False
        self._last_error: str | None = None

    def _print(self, ev: AlertEvent) -> None:
        if self.as_json:
            print(json.dumps(ev.to_json()), flush=True)
        else:
            print(f"{ev.to_json()['at']} {ev.text}", flush=True)

    async def on_snapshot(self, snapshot: MetricsSnapshot) -> None:
        if snapshot.error != self._last_error and snapshot.error:
            error(snapshot.error)
        self._last_error = snapshot.error
        events = self.engine.evaluate(snapshot, self.book.update(snapshot))
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


async def _watch(runtime: Runtime, *, once: bool, as_json: bool) -> int:
    poller = QueuePoller(runtime.clients, runtime.settings)
    watch = _Watch(runtime, as_json=as_json)
    try:
        if once:
            snapshot = await poller.poll_once()
            await watch.on_snapshot(snapshot)
            if snapshot.connection == "down":
                return EXIT_FAILURE
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
