"""``edgewatch replay DLQ``: move DLQ messages back to their source queue (or ``--to``).

Asks for confirmation unless ``--yes``; ``--dry-run`` lists exactly what would move and moves
nothing. A progress bar goes to stderr on a terminal; the summary goes to stdout (JSON with
``--json``: the shape of :meth:`ReplayResult.to_json`). Exit codes: 0 all selected messages
moved (held-back ones allowed), 1 a message failed or may be duplicated, or the run stopped on an
error, 2 usage (bad flags, read-only, no confirmation), 3 with ``--watch-bounce S``: replayed
messages came back to the DLQ within S seconds ("N of M replayed messages came back"), 130
cancelled with Ctrl-C (the first one finishes the batches in flight, a second one stops at once —
still without losing messages).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from edgewatch.aws import describe_error
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_USAGE,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.commands.long_run import finish, progress_bar, two_stage_interrupt
from edgewatch.display.escape import escape, safe
from edgewatch.dlq.bounce import BounceReport, BounceWatcher, moved_by
from edgewatch.dlq.replay import (
    FilterError,
    ReplayEngine,
    ReplayError,
    ReplayEvent,
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplayResult,
    Selection,
    plan_replay,
    replay_options,
)
from edgewatch.runtime import Runtime

EXIT_BOUNCED = 3  # the replay worked, but replayed messages came back to the DLQ


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "replay",
        parents=[common],
        help="replay a dead-letter queue (dry run, filters, rate limit; nothing is lost)",
    )
    parser.add_argument("dlq", metavar="DLQ", help="the dead-letter queue (name or URL)")
    parser.add_argument("--to", metavar="QUEUE", help="target queue (default: the DLQ's source)")
    parser.add_argument("--dry-run", action="store_true", help="show what would move; move none")
    parser.add_argument("--max", type=int, metavar="N", help="at most the first N messages")
    parser.add_argument("--rate", type=float, metavar="R", help="at most R messages per second")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="text, $.json.field OP value, or @attribute == value (repeat: all must match)",
    )
    parser.add_argument(
        "--id", action="append", dest="ids", metavar="MESSAGE_ID", help="only these message ids"
    )
    parser.add_argument(
        "--native", action="store_true", help="use AWS's StartMessageMoveTask when available"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="also replay messages held back (replay limit, no room for the replay record)",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="summary as JSON on stdout")
    parser.add_argument(
        "--visibility-timeout", type=int, metavar="S", help="lease on received DLQ messages, s"
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="pipelines (standard DLQs)")
    parser.add_argument(
        "--watch-bounce",
        type=float,
        metavar="S",
        help="then watch the DLQ for S seconds for replayed messages coming back (exit 3 if any)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings
    if settings.read_only and not args.dry_run:
        error("read-only mode: replay is refused (a --dry-run is allowed)")
        return EXIT_USAGE
    try:
        selection = Selection.build(limit=args.max, message_ids=args.ids, filters=args.filter)
    except FilterError as exc:
        error(str(exc))
        return EXIT_USAGE
    if args.native and not selection.is_all:
        error("--native moves every message: it cannot take --max, --filter or --id")
        return EXIT_USAGE
    if args.rate is not None and args.rate <= 0:
        error("--rate must be positive")
        return EXIT_USAGE
    if args.watch_bounce is not None and not 0 < args.watch_bounce <= 86_400:
        error("--watch-bounce must be between 0 and 86400 seconds")
        return EXIT_USAGE
    if args.watch_bounce is not None and (args.dry_run or args.native):
        error("--watch-bounce needs a client-side replay (not --dry-run or --native)")
        return EXIT_USAGE
    options = replay_options(
        settings.replay,
        read_only=settings.read_only,
        rate=args.rate,
        force=args.force,
        visibility_timeout_s=args.visibility_timeout,
        concurrency=args.concurrency,
    )
    return run_with_runtime(
        ctx, lambda runtime: _replay(runtime, args, selection, options), settings=settings
    )


async def _replay(
    runtime: Runtime, args: argparse.Namespace, selection: Selection, options: ReplayOptions
) -> int:
    err = Console(stderr=True, highlight=False)
    try:
        plan = await plan_replay(
            runtime.clients,
            args.dlq,
            to=args.to,
            selection=selection,
            options=options,
            dry_run=args.dry_run,
            mode="native" if args.native else "client",
        )
    except ReplayError as exc:
        error(str(exc))
        return EXIT_FAILURE
    except Exception as exc:
        error(describe_error(exc))
        return EXIT_FAILURE
    for line in plan.summary():
        err.print(safe(line))
    if not args.dry_run and not args.yes and not await _confirm(plan):
        return EXIT_USAGE
    result = await _run_engine(runtime, plan, err, show_bar=err.is_terminal and not args.json)
    bounce = None
    if args.watch_bounce is not None and result.moved and not result.cancelled:
        bounce = await _watch_bounce(runtime, plan, result, args.watch_bounce, err)
    code = finish(
        as_json=args.json,
        payload=lambda: {**result.to_json(), "bounce": bounce.to_json() if bounce else None},
        summary=lambda: _print_summary(result, bounce),
        problem=result.error or (bounce.error if bounce else None),
        cancelled=result.cancelled,
        ok=result.ok,
    )
    if code == 0 and bounce is not None and bounce.came_back:
        return EXIT_BOUNCED
    return code


async def _watch_bounce(
    runtime: Runtime, plan: ReplayPlan, result: ReplayResult, seconds: float, err: Console
) -> BounceReport:
    watcher = BounceWatcher(runtime.clients, plan.dlq.url, moved_by(result), label=plan.dlq.name)
    if err.is_terminal:
        err.print(safe(f"watching {plan.dlq.name} for {seconds:g} s for messages coming back…"))
    return await watcher.watch(seconds, interval_s=min(5.0, max(0.2, seconds / 10)))


async def _confirm(plan: ReplayPlan) -> bool:
    if not sys.stdin.isatty():
        error("confirmation needed: pass --yes to replay without a terminal")
        return False
    target = escape(plan.target.name, one_line=True)
    sys.stderr.write(f"Replay ~{plan.estimated} message(s) to {target}? [y/N] ")
    sys.stderr.flush()
    answer = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if answer.strip().lower() in ("y", "yes"):
        return True
    error("not confirmed: nothing moved")
    return False


async def _run_engine(
    runtime: Runtime, plan: ReplayPlan, err: Console, *, show_bar: bool
) -> ReplayResult:
    engine = ReplayEngine(runtime.clients, plan)
    progress = progress_bar(err, "dry run" if plan.dry_run else "replay", enabled=show_bar)
    bar = progress.add_task("", total=plan.estimated or None, detail="")

    def on_event(event: ReplayEvent) -> None:
        if isinstance(event, ReplayProgress):
            done = event.moved + event.would_move + event.failed + event.skipped
            total = max(plan.estimated, done + (event.remaining or 0)) or None
            eta = f" eta {event.eta_s:.0f}s" if event.eta_s is not None else ""
            progress.update(
                bar,
                completed=done,
                total=total,
                detail=f"failed {event.failed} skipped {event.skipped} {event.rate:.0f} msg/s{eta}",
            )

    stopping = "cancelling: finishing the batches in flight (Ctrl-C again to stop)"
    with two_stage_interrupt(err, engine.cancel, stopping, engine.abort), progress:
        return await engine.run(on_event)


def _print_summary(result: ReplayResult, bounce: BounceReport | None = None) -> None:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    rate = (result.moved / result.elapsed_s) if result.elapsed_s > 0 else 0.0
    if result.plan.dry_run:
        head = f"dry run: would move {result.would_move}"
    else:
        head = f"moved {result.moved}"
    parts = [
        head,
        f"failed {result.failed}",
        f"skipped {result.held}",
        f"possibly duplicated {result.duplicated}",
    ]
    if result.unmatched:
        parts.append(f"unmatched {result.unmatched}")
    if result.untagged:
        parts.append(f"sent without replay record {result.untagged}")
    tail = f" — {result.elapsed_s:.1f} s"
    if not result.plan.dry_run and result.moved:
        tail += f", {rate:.0f} msg/s"
    if result.cancelled:
        tail += " (cancelled)"
    out.print(safe(" · ".join(parts) + tail))
    for status, title in (
        ("would_move", "would move"),
        ("failed", "failed (left in the DLQ)"),
        ("possibly_duplicated", "possibly duplicated (in the target; the DLQ copy may remain)"),
        ("held", "skipped (left in the DLQ)"),
    ):
        rows = result.by_status(status)  # type: ignore[arg-type]  # the literals listed above
        if rows:
            out.print(_table(title, rows, with_reason=status != "would_move"))
    for note in result.notes:
        out.print(safe(f"note: {note}"))
    if bounce is not None:
        out.print(safe(bounce.summary))


def _table(title: str, rows: list[Any], *, with_reason: bool) -> Table:
    table = Table(title=safe(title), title_justify="left", expand=False)
    table.add_column("Message ID", no_wrap=True)
    table.add_column("Group")
    table.add_column("Bytes", justify="right")
    table.add_column("Request ID")
    if with_reason:
        table.add_column("Reason")
    table.add_column("Body", overflow="ellipsis", no_wrap=True, max_width=60)
    for o in rows:
        cells = [
            safe(o.message_id, one_line=True),
            safe(o.group_id or "", one_line=True),
            safe(f"{o.size:,}"),
            safe(o.request_id or "", one_line=True),
        ]
        if with_reason:
            cells.append(safe(o.reason or "", one_line=True))
        cells.append(safe(o.preview, one_line=True))
        table.add_row(*cells)
    return table
