"""``edgewatch status [--json] [--watch]``: queue metrics as a table or JSON, once or refreshing.

JSON (one document, or with ``--watch`` one document per line) is a list of
``{"name", "url", "visible", "in_flight", "delayed", "oldest_age_s", "dlq": {...} | null,
"error": null | str, "forecast": {...}}`` plus freshness, retention and CloudWatch counts
(README, "status --json"); ``oldest_age_s`` is ``null`` when CloudWatch has no datapoint. Rates
from depth changes need two polls: a one-shot status has them only where CloudWatch has counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from edgewatch.capabilities import probe_endpoint
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.commands.capabilities import lines as capability_lines
from edgewatch.commands.status_table import render_status_table
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.metrics.poller import QueuePoller
from edgewatch.runtime import Runtime


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "status", parents=[common], help="queue metrics: one snapshot or a refreshing table"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--watch", action="store_true", help="refresh every poll interval (JSON: one per line)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    return run_with_runtime(
        ctx, lambda runtime: _status(runtime, as_json=args.json, watch=args.watch)
    )


def _show(
    snapshot: MetricsSnapshot,
    runtime: Runtime,
    *,
    as_json: bool,
    watch: bool,
    book: ForecastBook | None = None,
) -> None:
    if as_json:
        forecasts = book.update(snapshot) if book is not None else None
        print(json.dumps(snapshot.to_json(forecasts), indent=None if watch else 2), flush=True)
    else:
        render_status_table(snapshot, runtime, clear=watch and sys.stdout.isatty())


async def _differences(runtime: Runtime) -> None:
    """Under the table: what this endpoint does unlike AWS (why a column says n/a, and so on)."""
    try:
        found = await probe_endpoint(runtime.clients, runtime.target.endpoint_url)
    except Exception:  # the table is the answer; an endpoint that fails these says so there
        return
    for line in capability_lines(found, only_differences=True):
        print(f"note: {line}")


async def _status(runtime: Runtime, *, as_json: bool, watch: bool) -> int:
    poller = QueuePoller(runtime.clients, runtime.settings)
    book = ForecastBook(runtime.settings.forecast)
    try:
        if not watch:
            snapshot = await poller.poll_once()
            _show(snapshot, runtime, as_json=as_json, watch=False, book=book)
            if snapshot.error:
                error(snapshot.error)
            if not as_json and snapshot.connection != "down":
                await _differences(runtime)
            return EXIT_FAILURE if snapshot.connection == "down" else EXIT_OK

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(
            poller.run(lambda s: _show(s, runtime, as_json=as_json, watch=True, book=book))
        )
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        stopped.cancel()
        await asyncio.gather(task, stopped, return_exceptions=True)
        return EXIT_OK
    finally:
        await poller.aclose()
