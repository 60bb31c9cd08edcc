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
from edgewatch.commands.fleet_option import add_fleet_option, with_fleet
from edgewatch.commands.status_table import render_status_table
from edgewatch.fleet.cost import CostEstimate, polling_estimate
from edgewatch.fleet.factory import make_poller
from edgewatch.fleet.poller import COLD_SPECS, FleetPoller
from edgewatch.forecast.book import ForecastBook
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.runtime import Runtime


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "status", parents=[common], help="queue metrics: one snapshot or a refreshing table"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--watch", action="store_true", help="refresh every poll interval (JSON: one per line)"
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="instead: API calls per minute and estimated cost per day at the current settings",
    )
    add_fleet_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    ctx = with_fleet(args, ctx)
    if args.cost:
        return run_with_runtime(ctx, lambda runtime: _cost(runtime, as_json=args.json))
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
        render_status_table(
            snapshot, runtime, clear=watch and sys.stdout.isatty(), show_error=watch
        )


async def _differences(runtime: Runtime) -> None:
    """Under the table: what this endpoint does unlike AWS (why a column says n/a, and so on)."""
    try:
        found = await probe_endpoint(runtime.clients, runtime.target.endpoint_url)
    except Exception:  # the table is the answer; an endpoint that fails these says so there
        return
    for line in capability_lines(found, only_differences=True):
        print(f"note: {line}")


async def _status(runtime: Runtime, *, as_json: bool, watch: bool) -> int:
    poller = make_poller(runtime)
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


async def _cost(runtime: Runtime, *, as_json: bool) -> int:
    """One poll, then what polling like this costs: the status bar's figures, scriptable."""
    poller = make_poller(runtime)
    try:
        snapshot = await poller.poll_once()
        if isinstance(poller, FleetPoller):
            # As the console runs: a full screen of rows (and those in trouble) hot.
            estimate = poller.estimate(hot=runtime.settings.fleet.hot_max)
            queues, mode = poller.queue_count, "fleet"
            per_queue = len(COLD_SPECS)
        else:
            queues, mode = len(snapshot.queues), "queues"
            per_queue = 4 if runtime.settings.forecast.counts else 1
            estimate = polling_estimate(
                queues=queues,
                poll_interval=runtime.settings.poll_interval,
                metrics_interval=runtime.settings.metrics_interval,
                metrics_per_queue=per_queue,
            )
        naive = CostEstimate(queues * 60.0 / runtime.settings.poll_interval, 0.0, 0.0)
        doc = {
            "mode": mode,
            "queues": queues,
            "estimate": estimate.to_json(),
            "naive_get_queue_attributes_per_queue": naive.to_json(),
        }
        if as_json:
            print(json.dumps(doc, indent=2))
        else:
            print(
                f"{queues} queue(s), {mode}: {estimate.calls_per_min:,.1f} API calls/min, "
                f"~${estimate.usd_per_day:,.2f}/day (SQS {estimate.sqs_calls_per_min:,.1f}/min, "
                f"CloudWatch {estimate.cw_calls_per_min:,.1f} calls and "
                f"{estimate.metrics_per_min:,.0f} metrics/min); every queue by "
                f"GetQueueAttributes each {runtime.settings.poll_interval:g} s: "
                f"{naive.calls_per_min:,.0f}/min, ~${naive.usd_per_day:,.2f}/day"
            )
        if snapshot.error:
            error(snapshot.error)
        return EXIT_FAILURE if snapshot.connection == "down" else EXIT_OK
    finally:
        await poller.aclose()
