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
    path = actions.add_parser("path", parents=[common], help="print the config file in use")
    check = actions.add_parser("check", parents=[common], help="validate and print the settings")
    for action in (path, check):
        action.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    source = ctx.source
    as_json = bool(getattr(args, "json", False))
    if args.config_command == "path":
        if as_json:
            present = source.path is not None
            shown = source.path if present else default_config_path()
            doc = {"path": str(shown), "present": present, "reason": source.reason}
            print(json.dumps(doc, indent=2))
        elif source.path is None:
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
            if as_json:  # the problems are on stderr as well: one line each, as without --json
                doc = {"ok": False, "path": _path(source.path), "problems": found}
                print(json.dumps(doc, indent=2))
            return EXIT_USAGE
    # show the effective values (never credentials)
    settings = ctx.settings.model_dump(mode="json")
    if as_json:
        doc = {"ok": True, "path": _path(source.path), "problems": [], "settings": settings}
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    where = str(source.path) if source.path else "no config file (defaults + environment)"
    print(f"ok: {where}")
    print(json.dumps(settings, indent=2))
    return EXIT_OK


def _path(path: object) -> str | None:
    return None if path is None else str(path)
