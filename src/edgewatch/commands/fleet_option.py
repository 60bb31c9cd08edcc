"""``--fleet N``: the embedded stack with N more queues across two simulated regions, watched
as a fleet (``demo``, ``status``, ``watch``, and the console itself)."""

from __future__ import annotations

import argparse
import dataclasses

from edgewatch.commands import CommandContext

MAX_EMBEDDED_FLEET = 5000


def fleet_size(text: str) -> int:
    """argparse type of ``--fleet N``."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of queues: {text!r}") from None
    if not 1 <= n <= MAX_EMBEDDED_FLEET:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_EMBEDDED_FLEET}")
    return n


def add_fleet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fleet",
        type=fleet_size,
        metavar="N",
        default=0,
        help="embedded stack: add N queues across two simulated regions and watch them as a fleet",
    )


def with_fleet(args: argparse.Namespace, ctx: CommandContext) -> CommandContext:
    """The context a command runs in: ``--fleet N`` means the embedded stack at fleet scale."""
    fleet = getattr(args, "fleet", 0) or 0
    return dataclasses.replace(ctx, fleet=fleet) if fleet else ctx
