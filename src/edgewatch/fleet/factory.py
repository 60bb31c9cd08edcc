"""One place that picks the poller: a fleet (``[fleet] sources``) or the configured queues."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from edgewatch.fleet.poller import FleetPoller
from edgewatch.metrics.poller import QueuePoller

if TYPE_CHECKING:
    from edgewatch.commands import CommandContext
    from edgewatch.runtime import Runtime

MAX_EMBEDDED_FLEET = 5000


def make_poller(
    runtime: Runtime, *, clock: Callable[[], float] = time.time
) -> QueuePoller | FleetPoller:
    sources = runtime.settings.fleet.sources
    if not sources:
        return QueuePoller(runtime.clients, runtime.settings, clock=clock)
    pairs = [(s, runtime.clients_for(s)) for s in sources]
    return FleetPoller(pairs, runtime.settings, clock=clock)


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


def start_runtime(args: argparse.Namespace, ctx: CommandContext) -> Runtime:
    """The runtime a command asked for; ``--fleet N`` always means the embedded stack."""
    from edgewatch.runtime import Runtime

    fleet = getattr(args, "fleet", 0) or 0
    return Runtime.start(
        ctx.settings, ctx.source, embedded=ctx.embedded or bool(fleet), seed=ctx.seed, fleet=fleet
    )
