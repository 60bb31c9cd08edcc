"""The log-source flags that ``tail`` and ``latency`` share, parsed one way for both."""

from __future__ import annotations

import argparse

from edgewatch.config import LogsSettings
from edgewatch.logs.tail import TailTargets, resolve_targets


def add_log_source_args(parser: argparse.ArgumentParser, *, group_help: str) -> None:
    """``--log-group G`` (repeatable) and ``--file PATH``; without them, the configured and
    discovered sources are read."""
    parser.add_argument("--log-group", metavar="G", action="append", default=[], help=group_help)
    parser.add_argument("--file", metavar="PATH", help="a local JSON-lines file")


def log_targets(logs: LogsSettings, args: argparse.Namespace) -> TailTargets:
    """What ``args`` asks to read (the flags alone when given, else config plus discovery)."""
    return resolve_targets(logs, groups=args.log_group, file=args.file)
