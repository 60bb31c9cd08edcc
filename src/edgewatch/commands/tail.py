"""``edgewatch tail``: worker log lines on stdout, plain or JSON, once or followed.

Plain lines are ``<UTC time> <group>/<stream> <message>`` with control characters escaped (a
log line cannot drive the terminal); ``--json`` prints one object per line:
``{"timestamp", "timestamp_ms", "log_group", "log_stream", "event_id", "request_id", "level",
"message", "parsed", "format", "kind", "message_ids", "duration_ms", "init_duration_ms",
"status", "error_type", "error_message", "correlation_id"}`` (see docs/log-formats.md).
Without ``--log-group``/``--file`` it reads ``logs.groups`` and the log groups of the watched
queues' consumers, found from their event source mappings. Problems go to stderr, once per
episode; a closed stdout (``| head``) ends the command quietly. A one-shot tail of a just-started
embedded stack that finds no line says why on stderr.
Exit codes: 0 ok, 1 a source failed, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Coroutine
from typing import Any, TextIO

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
from edgewatch.logs.models import LogLine, SourceNotice
from edgewatch.logs.search import LogQuery, parse_since
from edgewatch.logs.tail import (
    LogTail,
    NoLogSourceError,
    TailTargets,
    build_tail,
    discover_targets,
)
from edgewatch.runtime import Runtime

SHORT_STREAM = 24
TROUBLE = frozenset({"throttled", "retrying", "waiting"})


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "tail",
        parents=[common],
        help="worker log lines (CloudWatch Logs or a JSON-lines file), once or followed",
    )
    parser.add_argument(
        "--request-id",
        metavar="ID",
        help="only this request's lines (a Lambda invocation: START, app lines, END, REPORT)",
    )
    parser.add_argument(
        "--message-id", metavar="ID", help="only lines that name this SQS message ID"
    )
    parser.add_argument("--grep", metavar="TEXT", help="only lines containing TEXT (exact case)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="from 30s, 15m, 2h, 1d ago or an ISO time (default: 10m for log groups, "
        "the whole file for --file)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_log_source_args(
        parser,
        group_help="CloudWatch Logs group (repeatable; default: logs.groups, or the embedded "
        "stack's)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    try:
        query = LogQuery(request_id=args.request_id, text=args.grep, message_id=args.message_id)
        start_ms = None
        if args.since is not None:
            start_ms = int(parse_since(args.since, time.time()) * 1000)
        targets = log_targets(ctx.settings.logs, args)
    except (ValueError, NoLogSourceError) as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        return run_with_optional_runtime(
            ctx,
            targets.needs_aws,
            lambda runtime: _tail(runtime, targets, ctx, query, start_ms, args),
        )
    except NoLogSourceError as exc:
        error(str(exc))
        return EXIT_USAGE


async def _tail(
    runtime: Runtime | None,
    targets: TailTargets,
    ctx: CommandContext,
    query: LogQuery,
    start_ms: int | None,
    args: argparse.Namespace,
) -> int:
    if runtime is not None:  # the runtime is closed by whoever opened it
        targets = await discover_targets(targets, runtime)
    tail = build_tail(
        targets,
        clients=runtime.clients if runtime is not None else None,
        logs=ctx.settings.logs,
        start_ms=start_ms,
        query=query,
        follow=args.follow,
    )
    printer = _Printer(sys.stdout, as_json=args.json)
    try:
        if not args.follow:
            await _consume(tail, printer)
        else:
            await _until_signal(_consume(tail, printer))
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    finally:
        await tail.aclose()
    reason = None if args.follow else fresh_stack_reason(runtime, printer.printed)
    if reason is not None and not tail.errors:
        error(f"no lines: {reason}")  # stderr: stdout stays pure (JSON) lines
    return EXIT_FAILURE if tail.errors else EXIT_OK


async def _consume(tail: LogTail, printer: _Printer) -> None:
    async for batch in tail:
        for notice in batch.notices:
            printer.notice(notice)
        printer.lines(batch.lines)


async def _until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` until it ends or SIGINT/SIGTERM arrives (then end cleanly, exit 0)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(work)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopped):
            pending.cancel()
        results = await asyncio.gather(task, stopped, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise result


class _Printer:
    """Formats lines for stdout and notices for stderr (each trouble said once per episode)."""

    def __init__(self, out: TextIO, *, as_json: bool) -> None:
        self.out = out
        self.as_json = as_json
        self._troubled: set[str] = set()
        self.printed = 0  # lines written
        if not as_json:
            with contextlib.suppress(AttributeError, ValueError):
                out.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]  # TextIOWrapper has it

    def lines(self, lines: tuple[LogLine, ...]) -> None:
        if not lines:
            return
        if self.as_json:
            text = "".join(json.dumps(line.to_json()) + "\n" for line in lines)
        else:
            text = "".join(format_line(line) + "\n" for line in lines)
        self.out.write(text)
        self.out.flush()
        self.printed += len(lines)

    def notice(self, notice: SourceNotice) -> None:
        if notice.kind == "ok":
            self._troubled.discard(notice.source)
            return
        if notice.kind in TROUBLE:
            if notice.source in self._troubled:
                return  # said once for this episode; it ends with an "ok" notice
            self._troubled.add(notice.source)
        what = {
            "throttled": f"{notice.message}; backing off and continuing",
            "retrying": f"{notice.message}; retrying",
        }.get(notice.kind, notice.message)
        error(f"{notice.source}: {what}")


def format_line(line: LogLine) -> str:
    """``<UTC time> <group>/<stream> <message>``, one line; group, stream and message escaped
    (CloudWatch allows ESC and bidi controls in stream names)."""
    if line.source == "file":
        where = line.stream
    else:
        group = line.log_group.rstrip("/").rsplit("/", 1)[-1] or line.log_group
        stream = line.stream.rsplit("/", 1)[-1][:SHORT_STREAM]
        where = f"{group}/{stream}"
    where = escape(where, one_line=True)
    return f"{line.iso_time} {where} {escape(line.display_message.rstrip(chr(10)), one_line=True)}"


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so that the final flush cannot complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
