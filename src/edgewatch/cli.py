"""The ``edgewatch`` command: the console (no subcommand) and its scriptable forms.

Every subcommand gets the same settings and the same :class:`~edgewatch.runtime.Runtime`, so the
CLI and the console look at the same endpoint the same way. Errors are one line on stderr with a
non-zero exit code; a traceback never reaches the operator.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from edgewatch import __version__
from edgewatch.commands import (
    COMMAND_MODULES,
    EXIT_FAILURE,
    EXIT_USAGE,
    CommandContext,
    error,
)
from edgewatch.config import ConfigError, is_unconfigured, load_settings


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Flags valid before or after the subcommand (``suppress`` keeps a later default off)."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    g = parser.add_argument_group("global options")
    g.add_argument("--config", metavar="PATH", default=default(None), help="TOML config file")
    g.add_argument("--endpoint-url", metavar="URL", default=default(None), help="AWS endpoint")
    g.add_argument("--region", default=default(None), help="AWS region")
    g.add_argument("--profile", default=default(None), help="AWS profile (standard chain)")
    g.add_argument(
        "--embedded",
        action="store_true",
        default=default(False),
        help="use the embedded local stack even when a config is present",
    )
    g.add_argument("--seed", type=int, default=default(None), help="embedded simulation seed")
    g.add_argument("--theme", default=default(None), help="theme name")
    g.add_argument(
        "--read-only", action="store_true", default=default(None), help="watch only, no actions"
    )
    g.add_argument(
        "--poll-interval", type=float, metavar="S", default=default(None), help="seconds"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgewatch",
        description=(
            "A terminal console for an SQS edge-analytics pipeline. Without a subcommand it "
            "opens the console; without configuration it runs on an embedded local stack."
        ),
    )
    parser.add_argument("--version", action="version", version=f"edgewatch {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"edgewatch.commands.{name}").register(sub, common)
    return parser


def _cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "aws": {"endpoint_url": args.endpoint_url, "region": args.region, "profile": args.profile},
        "theme": args.theme,
        "read_only": args.read_only,
        "poll_interval": args.poll_interval,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings, source = load_settings(args.config, _cli_overrides(args))
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    ctx = CommandContext(
        settings=settings,
        source=source,
        embedded=args.embedded or is_unconfigured(settings, source),
        seed=args.seed,
    )
    try:
        handler = getattr(args, "handler", None)
        return handler(args, ctx) if handler else _console(ctx)
    except ConfigError as exc:  # found once AWS settings are resolved (aws/preflight.py)
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # e.g. the demo port is taken
        error(str(exc))
        return EXIT_FAILURE


def _console(ctx: CommandContext) -> int:
    if not sys.stdout.isatty() and os.environ.get("EDGEWATCH_FORCE_TUI") != "1":
        error("the console needs a terminal; for scripts use `edgewatch status --json`")
        return EXIT_USAGE
    from edgewatch.tui.app import EdgewatchApp

    with ctx.runtime() as runtime:  # the app closes the clients itself, on its own loop
        app = EdgewatchApp(runtime)
        app.run()
        return int(app.return_code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
