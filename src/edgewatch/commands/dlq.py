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
from rich.text import Text

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
from edgewatch.display.escape import append_safe, safe
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
    """Two stacked columns, one line per field, each cut with an ellipsis to fit.

    Eight side-by-side columns did not fit a terminal: Rich squeezes its wrappable columns to
    nothing first, so a long request ID or a replay record in the attributes hid Last error and
    Body, which are why an operator lists a DLQ. ``--json`` has every field in full.
    """
    table = Table(
        title=safe(f"{name}: {len(messages)} message(s)"), title_justify="left", show_lines=True
    )
    table.add_column("Message · sent · group · request", min_width=20, max_width=38)
    table.add_column("Last error · attributes · body", min_width=20, ratio=1)
    for m in messages:
        sent = m.sent_at.strftime("%Y-%m-%d %H:%M:%S") if m.sent_at else "—"
        attrs = ", ".join(f"{n}={a.display(24)}" for n, a in sorted(m.attributes.items()))
        ids = [m.message_id, f"{sent} · rcv {m.receive_count}", m.group_id or "no group"]
        ids.append(m.request_id or "no request ID")
        why = [_why(errors.get(m.message_id)) or "last error: n/a", attrs or "no attributes"]
        why.append(m.preview(200))
        table.add_row(*(_lines(cells) for cells in (ids, why)))
    return table


def _lines(values: list[str]) -> Text:
    """Each value escaped onto one line of its own: outside text cannot add lines or markup."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, value in enumerate(values):
        if i:
            text.append("\n")
        append_safe(text, value, one_line=True)
    return text
