"""``edgewatch latency [--since 15m] [--queue Q] [--json]``: the latency chart's numbers, once.

p50/p95/p99 of each series over the span (default: the chart's window, ``latency.window_s``),
with sample counts, invocations, cold starts, failed and timed-out invocations and error lines,
from the same logs the console reads: ``logs.groups`` and the discovered consumers' groups, or
only those of ``--queue``'s consumers. ``--json`` prints one object (schema in the README); a
series the logs cannot give is ``null`` and ``unavailable`` says why; ``reason`` says why no
line was read at all when that is known (a just-started embedded stack), else ``null``.
Exit codes: 0 ok, 1 a source failed, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import time

from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    Subparsers,
    error,
    run_with_optional_runtime,
)
from edgewatch.commands.fresh_stack import fresh_stack_reason
from edgewatch.commands.log_sources import add_log_source_args, log_targets
from edgewatch.display.escape import escape
from edgewatch.logs.latency_report import LatencyReport, SeriesReport, measure
from edgewatch.logs.search import parse_since
from edgewatch.logs.tail import (
    NoLogSourceError,
    TailTargets,
    build_tail,
    discover_targets,
)
from edgewatch.runtime import Runtime

LABELS = {"latency": "latency", "queue_lag": "queue lag"}
SOURCES = {"duration": "REPORT Duration", "latency_ms": "worker latency_ms", "queue_lag": "lag"}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "latency",
        parents=[common],
        help="latency percentiles, cold starts, errors and timeouts from the worker logs",
    )
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="from 30s, 15m, 2h ago or an ISO time (default: the chart's window, latency.window_s)",
    )
    parser.add_argument("--queue", metavar="Q", help="only the logs of this queue's consumers")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    add_log_source_args(parser, group_help="a log group (repeatable)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    now = time.time()
    try:
        since = now - ctx.settings.latency.window_s
        if args.since is not None:
            since = parse_since(args.since, now)
        if since >= now:
            raise ValueError(f"--since {args.since!r} is not in the past")
        targets = log_targets(ctx.settings.logs, args)
        if args.queue and (args.log_group or args.file):
            raise ValueError("--queue picks the queue's consumer logs: not with --log-group/--file")
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        return run_with_optional_runtime(
            ctx,
            targets.needs_aws or bool(args.queue),
            lambda runtime: _latency(runtime, targets, ctx, args, since, now),
        )
    except NoLogSourceError as exc:
        error(str(exc))
        return EXIT_USAGE


async def _queue_groups(runtime: Runtime, queue: str) -> TailTargets:
    from edgewatch.consumers.watched import watched_queue_urls

    url = queue
    if not queue.startswith(("http://", "https://")):
        known = {u.rstrip("/").rsplit("/", 1)[-1]: u for u in await watched_queue_urls(runtime)}
        if queue in known:
            url = known[queue]
        else:
            try:
                sqs = await runtime.clients.sqs()
                url = str((await sqs.get_queue_url(QueueName=queue))["QueueUrl"])
            except Exception as exc:
                raise NoLogSourceError(f"--queue {queue!r}: no such queue ({exc})") from None
    found = (await runtime.consumers.refresh([url])).get(url)
    if found is None or not found.log_groups:
        why = found.explanation if found is not None else "not looked up"
        raise NoLogSourceError(f"--queue {queue!r}: no consumer log group ({why})")
    return TailTargets(found.log_groups)


async def _latency(
    runtime: Runtime | None,
    targets: TailTargets,
    ctx: CommandContext,
    args: argparse.Namespace,
    since: float,
    now: float,
) -> int:
    if runtime is not None:  # the runtime is closed by whoever opened it
        if args.queue:
            targets = await _queue_groups(runtime, args.queue)
        else:
            targets = await discover_targets(targets, runtime)
    tail = build_tail(
        targets,
        clients=runtime.clients if runtime is not None else None,
        logs=ctx.settings.logs,
        start_ms=int(since * 1000),
        follow=False,
    )
    report = await measure(tail, since=since, until=now)
    reason = None if report.problems else fresh_stack_reason(runtime, report.lines)
    if args.json:
        print(json.dumps({**report.to_json(), "reason": reason}, indent=2))
    else:
        print(format_report(report))
        if reason is not None:
            error(f"no lines: {reason}")
    for problem in report.problems:
        error(problem)
    return EXIT_FAILURE if report.problems else EXIT_OK


def _series_line(name: str, series: SeriesReport | None, reason: str | None) -> str:
    label = f"{LABELS[name]:<10}"
    if series is None:
        return f"{label} n/a: {reason}"
    p = series.point

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    return (
        f"{label} p50 {ms(p.p50)} ms  p95 {ms(p.p95)} ms  p99 {ms(p.p99)} ms  "
        f"({p.count} samples, {SOURCES.get(series.source, series.source)})"
    )


def format_report(report: LatencyReport) -> str:
    """The human form: one line per series, one for the counts, one for the sources."""
    counts = report.counts
    lines = [
        _series_line("latency", report.latency, report.unavailable.get("latency")),
        _series_line("queue_lag", report.queue_lag, report.unavailable.get("queue_lag")),
        f"invocations {counts.invocations} · cold starts {counts.cold_starts} · "
        f"failed {counts.invocation_errors} · timeouts {counts.timeouts} · "
        f"error lines {counts.errors}",
        f"{report.lines} lines, {report.to_json()['since']} → {report.to_json()['until']}, "
        f"from {', '.join(report.sources) or 'no source'}",
    ]
    return "\n".join(escape(line) for line in lines)
