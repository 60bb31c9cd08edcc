"""``edgewatch config path|check``: where the configuration comes from, and whether it is valid."""

from __future__ import annotations

import argparse
import json

from edgewatch.aws import preflight
from edgewatch.commands import EXIT_OK, EXIT_USAGE, CommandContext, Subparsers, error
from edgewatch.config import default_config_path


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("config", parents=[common], help="inspect the configuration")
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions.add_parser("path", parents=[common], help="print the config file in use")
    actions.add_parser("check", parents=[common], help="validate and print the settings")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    source = ctx.source
    if args.config_command == "path":
        if source.path is None:
            print(f"{default_config_path()} (not present; using defaults)")
        else:
            print(f"{source.path} (from {source.reason})")
        return EXIT_OK
    # check: loading validated the keys; preflight finds what will certainly fail against AWS
    if not ctx.embedded:
        found = preflight.problems(ctx.settings)
        for problem in found:
            error(problem)
        if found:
            return EXIT_USAGE
    # show the effective values (never credentials)
    where = str(source.path) if source.path else "no config file (defaults + environment)"
    print(f"ok: {where}")
    print(json.dumps(ctx.settings.model_dump(mode="json"), indent=2))
    return EXIT_OK
