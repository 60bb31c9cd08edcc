"""``edgewatch dlq list DLQ``: browse a dead-letter queue from a shell.

Reading a message is receiving it, so listing raises each message's ``ApproximateReceiveCount``
(said on stderr); every message listed is made visible again before the command exits. Each
message also gets ``"last_error": {"time", "level", "error_type", "message", "request_id",
"log_group"} | null`` (why it failed, from the newest failure line in the worker logs naming its
message ID or request ID, or of the invocation that handled it); ``logs_problem`` says when the
logs could not be searched. JSON is
``{"queue": {...}, "warning": str, "messages": [DlqMessage.to_json(), ...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from edgewatch.aws import describe_error
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.display.escape import safe
from edgewatch.dlq.replay import DlqBrowser, DlqMessage, ReplayError, request_id_of
from edgewatch.logs.messages import LastError, MessageLogs, ids_of, search_messages
from edgewatch.runtime import Runtime


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("dlq", parents=[common], help="browse a dead-letter queue")
    actions = parser.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list", parents=[common], help="show messages (raises their receive counts)"
    )
    listing.add_argument("dlq", metavar="DLQ", help="queue name or URL")
    listing.add_argument("--max", type=int, default=10, metavar="N", help="messages (default 10)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument(
        "--body-limit", type=int, default=None, metavar="CHARS", help="truncate bodies (JSON)"
    )
    listing.add_argument(
        "--no-logs", action="store_true", help="do not search the worker logs for last errors"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.max < 1:
        error("--max must be at least 1")
        return EXIT_USAGE
    return run_with_runtime(ctx, lambda runtime: _list(runtime, args))


async def _list(runtime: Runtime, args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False)
    browser = DlqBrowser(
        runtime.clients,
        args.dlq,
        visibility_timeout=max(30, runtime.settings.replay.visibility_timeout_s),
    )
    try:
        async with browser:
            page = await browser.next_page(args.max)
            info = browser.info
            assert info is not None
            for warning in browser.warnings:
                err.print(safe(warning))
            found = MessageLogs(())
            if page.messages and not args.no_logs:
                ids = [i for m in page.messages for i in ids_of(m.message_id, request_id_of(m))]
                found = await search_messages(runtime, ids)
            errors = {
                m.message_id: found.last_error(m.message_id, request_id_of(m))
                for m in page.messages
            }
            if args.json:
                doc = {
                    "queue": info.to_json(),
                    "warning": " ".join(browser.warnings),
                    "logs_problem": found.problem,
                    "messages": [
                        {
                            **m.to_json(body_limit=args.body_limit),
                            "last_error": (e := errors[m.message_id]) and e.to_json(),
                        }
                        for m in page.messages
                    ],
                }
                print(json.dumps(doc, indent=2))
            else:
                width = None if sys.stdout.isatty() else 200
                table = _table(info.name, page.messages, errors)
                Console(highlight=False, width=width).print(table)
                if found.problem:
                    err.print(safe(f"logs: {found.problem}"))
    except ReplayError as exc:
        error(str(exc))
        return EXIT_FAILURE
    except Exception as exc:
        error(describe_error(exc))
        return EXIT_FAILURE
    return EXIT_OK


def _why(error: LastError | None) -> str:
    if error is None:
        return ""
    return f"{error.error_type or error.level or 'error'}: {error.message}"[:120]


def _table(name: str, messages: list[DlqMessage], errors: dict[str, LastError | None]) -> Table:
    table = Table(title=safe(f"{name}: {len(messages)} message(s)"), title_justify="left")
    columns = ("Message ID", "Sent", "Receives", "Group", "Request ID", "Attrs", "Last error")
    for column in (*columns, "Body"):
        table.add_column(column, no_wrap=column not in ("Body", "Last error"))
    for m in messages:
        table.add_row(
            safe(m.message_id, one_line=True),
            safe(m.sent_at.strftime("%Y-%m-%d %H:%M:%S") if m.sent_at else ""),
            safe(m.receive_count),
            safe(m.group_id or "", one_line=True),
            safe(m.request_id or "", one_line=True),
            safe(
                ", ".join(f"{n}={a.display(24)}" for n, a in sorted(m.attributes.items())),
                one_line=True,
            ),
            safe(_why(errors.get(m.message_id)), one_line=True),
            safe(m.preview(200), one_line=True),
        )
    return table
