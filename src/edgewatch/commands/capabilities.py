"""``edgewatch capabilities [--json]``: where this endpoint differs from AWS.

Prints one line per behaviour (``ok``, ``differs`` or ``unknown`` and why); JSON is a list of
``{"key", "available": true | false | null, "note"}``. The same checks put their differences
under ``edgewatch status``'s table and in the console's notifications.
"""

from __future__ import annotations

import argparse
import json

from edgewatch.aws import describe_error, is_connection_error
from edgewatch.capabilities import Capability, probe_endpoint
from edgewatch.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandContext,
    Subparsers,
    error,
    run_with_runtime,
)
from edgewatch.display.escape import escape
from edgewatch.runtime import Runtime

WORD = {True: "ok", False: "differs", None: "unknown"}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "capabilities", parents=[common], help="where this endpoint differs from AWS"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    return run_with_runtime(ctx, lambda runtime: _capabilities(runtime, as_json=args.json))


async def _capabilities(runtime: Runtime, *, as_json: bool) -> int:
    try:
        found = await probe_endpoint(runtime.clients, runtime.target.endpoint_url)
    except Exception as exc:
        if not is_connection_error(exc):
            error(f"capability checks failed: {escape(describe_error(exc), one_line=True)}")
            return EXIT_FAILURE
        error(f"endpoint unreachable: {escape(describe_error(exc), one_line=True)}")
        return EXIT_FAILURE
    if as_json:
        print(json.dumps([c.to_json() for c in found], indent=2))
    else:
        for line in lines(found, only_differences=False):
            print(line)
    return EXIT_OK


def lines(found: list[Capability], *, only_differences: bool) -> list[str]:
    """``key: word — note`` per capability, escaped for the terminal."""
    return [
        f"{c.key}: {WORD[c.available]} — {escape(c.note, one_line=True)}"
        for c in found
        if c.differs or not only_differences
    ]
