"""Subcommands of ``edgewatch``: one module each, registered in :data:`COMMAND_MODULES`.

A module exposes ``register(subparsers, common)``, which adds its parser and sets
``handler=run``; ``run(args, ctx)`` returns the exit code. Engines do the work; commands only
parse, call and print.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

from edgewatch.config import ConfigSource, Settings
from edgewatch.display.escape import escape
from edgewatch.runtime import Runtime

# What ``register`` gets (generic for type checkers only: a string, not evaluated at run time).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# Order is the order of `edgewatch --help`.
COMMAND_MODULES = (
    "status",
    "watch",
    "tail",
    "latency",
    "replay",
    "dlq",
    "send",
    "demo",
    "config_cmd",
    "capabilities",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class CommandContext:
    """What every subcommand gets: the loaded settings and whether to use the embedded stack."""

    settings: Settings
    source: ConfigSource
    embedded: bool
    seed: int | None = None
    fleet: int = 0  # --fleet N: the embedded stack with N more queues, watched as a fleet

    @contextmanager
    def runtime(self, settings: Settings | None = None) -> Iterator[Runtime]:
        """The command's :class:`Runtime` (``settings``: one run's overrides), its embedded stack
        stopped at the end of the block."""
        with Runtime.started(
            settings or self.settings,
            self.source,
            embedded=self.embedded or bool(self.fleet),
            seed=self.seed,
            fleet=self.fleet,
        ) as runtime:
            yield runtime


def run_with_runtime(
    ctx: CommandContext,
    body: Callable[[Runtime], Awaitable[int]],
    *,
    settings: Settings | None = None,
) -> int:
    """Run an async command body with a started runtime: the one way every command connects,
    and closes its clients and stack however the body ends. Returns the body's exit code."""

    async def within(runtime: Runtime) -> int:
        async with runtime:
            return await body(runtime)

    with ctx.runtime(settings) as runtime:
        return asyncio.run(within(runtime))


def run_with_optional_runtime(
    ctx: CommandContext, needed: bool, body: Callable[[Runtime | None], Coroutine[Any, Any, int]]
) -> int:
    """:func:`run_with_runtime` when the command needs AWS, else the body alone with ``None``:
    a local file read starts neither AWS clients nor the embedded stack."""
    if not needed:
        return asyncio.run(body(None))
    return run_with_runtime(ctx, body)


def error(message: str) -> None:
    """Each line on stderr prefixed with the program name: the only way commands report errors.

    One problem is one line; several are one self-contained line each (grep-able, no header).
    Escaped: an error often quotes an endpoint, a queue name or an OS message (outside text)."""
    for line in message.splitlines() or [""]:
        print(f"edgewatch: {escape(line)}", file=sys.stderr)
