"""Subcommands of ``edgewatch``: one module each, registered in :data:`COMMAND_MODULES`.

A module exposes ``register(subparsers, common)``, which adds its parser and sets
``handler=run``; ``run(args, ctx)`` returns the exit code. Engines do the work; commands only
parse, call and print.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from edgewatch.config import ConfigSource, Settings

# Order is the order of `edgewatch --help`.
COMMAND_MODULES = ("status", "tail", "latency", "replay", "dlq", "send", "demo", "config_cmd")

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


def error(message: str) -> None:
    """One line on stderr, prefixed with the program name: the only way commands report errors."""
    print(f"edgewatch: {message}", file=sys.stderr)
