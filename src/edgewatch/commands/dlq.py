"""``edgewatch dlq list DLQ``: browse a dead-letter queue from a shell.

Reading a message is receiving it, so listing raises each message's ``ApproximateReceiveCount``
(said on stderr); every message listed is made visible again before the command exits. JSON is
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
from edgewatch.display.escape import safe
from edgewatch.dlq.replay import DlqBrowser, DlqMessage, ReplayError
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
            if args.json:
                doc = {
                    "queue": info.to_json(),
                    "warning": " ".join(browser.warnings),
                    "messages": [m.to_json(body_limit=args.body_limit) for m in page.messages],
                }
                print(json.dumps(doc, indent=2))
            else:
                width = None if sys.stdout.isatty() else 200
                Console(highlight=False, width=width).print(_table(info.name, page.messages))
    except ReplayError as exc:
        error(str(exc))
        return EXIT_FAILURE
    except Exception as exc:
        error(describe_error(exc))
        return EXIT_FAILURE
    return EXIT_OK


def _table(name: str, messages: list[DlqMessage]) -> Table:
    table = Table(title=safe(f"{name}: {len(messages)} message(s)"), title_justify="left")
    for column in ("Message ID", "Sent", "Receives", "Group", "Request ID", "Attrs", "Body"):
        table.add_column(column, no_wrap=column != "Body")
    for m in messages:
        table.add_row(
            safe(m.message_id, one_line=True),
            Text(m.sent_at.strftime("%Y-%m-%d %H:%M:%S") if m.sent_at else ""),
            Text(str(m.receive_count)),
            safe(m.group_id or "", one_line=True),
            safe(m.request_id or "", one_line=True),
            safe(
                ", ".join(f"{n}={a.display(24)}" for n, a in sorted(m.attributes.items())),
                one_line=True,
            ),
            safe(m.preview(200), one_line=True),
        )
    return table
