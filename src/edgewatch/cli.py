"""The ``edgewatch`` command: the console (no subcommand) and its scriptable forms.

Every subcommand builds the same :class:`~edgewatch.runtime.Runtime` from the same settings, so
the CLI and the console always look at the same endpoint the same way. Errors are one line on
stderr with a non-zero exit code; a traceback never reaches the operator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from edgewatch import __version__
from edgewatch.config import ConfigError, ConfigSource, Settings, is_unconfigured, load_settings
from edgewatch.runtime import Runtime

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Flags valid before or after the subcommand (``suppress`` keeps a later default off)."""
    default = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("global options")
    g.add_argument("--config", metavar="PATH", default=default, help="TOML config file")
    g.add_argument("--endpoint-url", metavar="URL", default=default, help="AWS endpoint URL")
    g.add_argument("--region", default=default, help="AWS region")
    g.add_argument("--profile", default=default, help="AWS profile (standard credential chain)")
    g.add_argument(
        "--embedded",
        action="store_true",
        default=default if suppress else False,
        help="use the embedded local stack even when a config is present",
    )
    g.add_argument(
        "--seed", type=int, default=default, help="seed of the embedded stack's simulation"
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
    parser.add_argument("--theme", help="theme name (see themes/ or Textual's built-ins)")
    parser.add_argument("--read-only", action="store_true", default=None, help="no actions")
    parser.add_argument("--poll-interval", type=float, metavar="S", help="seconds between polls")

    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = sub.add_parser(
        "status", parents=[common], help="queue metrics: one snapshot or a refreshing table"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--watch", action="store_true", help="refresh every poll interval (JSON: one per line)"
    )
    status.add_argument("--poll-interval", type=float, metavar="S", default=argparse.SUPPRESS)

    demo = sub.add_parser("demo", parents=[common], help="run only the embedded local stack")
    demo.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")

    config = sub.add_parser("config", parents=[common], help="inspect the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("path", parents=[common], help="print the config file in use")
    config_sub.add_parser("check", parents=[common], help="validate the configuration")
    return parser


def _cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "aws": {
            "endpoint_url": getattr(args, "endpoint_url", None),
            "region": getattr(args, "region", None),
            "profile": getattr(args, "profile", None),
        },
        "theme": getattr(args, "theme", None),
        "read_only": getattr(args, "read_only", None),
        "poll_interval": getattr(args, "poll_interval", None),
    }


def _error(message: str) -> None:
    print(f"edgewatch: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings, source = load_settings(getattr(args, "config", None), _cli_overrides(args))
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE

    command = args.command
    try:
        if command == "config":
            return _config_command(args.config_command, settings, source)
        if command == "demo":
            from edgewatch.localstack.demo import run_demo

            return run_demo(port=args.port, seed=getattr(args, "seed", None))
        embedded = bool(getattr(args, "embedded", False)) or is_unconfigured(settings, source)
        if command == "status":
            return _status(args, settings, source, embedded=embedded)
        return _console(settings, source, embedded=embedded, seed=getattr(args, "seed", None))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # e.g. the demo port is taken
        _error(str(exc))
        return EXIT_FAILURE


def _config_command(action: str, settings: Settings, source: ConfigSource) -> int:
    if action == "path":
        if source.path is None:
            from edgewatch.config import default_config_path

            print(f"{default_config_path()} (not present; using defaults)")
        else:
            print(f"{source.path} (from {source.reason})")
        return EXIT_OK
    # check: load_settings already validated; show the effective values (never credentials)
    where = str(source.path) if source.path else "no config file (defaults + environment)"
    print(f"ok: {where}")
    print(json.dumps(settings.model_dump(mode="json"), indent=2))
    return EXIT_OK


# -- status ------------------------------------------------------------------------------------


def _status(
    args: argparse.Namespace, settings: Settings, source: ConfigSource, *, embedded: bool
) -> int:
    runtime = Runtime.start(settings, source, embedded=embedded, seed=getattr(args, "seed", None))
    try:
        return asyncio.run(_status_async(runtime, as_json=args.json, watch=args.watch))
    finally:
        runtime.stop_stack()


async def _status_async(runtime: Runtime, *, as_json: bool, watch: bool) -> int:
    from edgewatch.sources.queue_poller import QueuePoller
    from edgewatch.status_view import render_status_table

    poller = QueuePoller(runtime.clients, runtime.settings)
    try:
        if not watch:
            snapshot = await poller.poll_once()
            if runtime.embedded and snapshot.metrics_at is None:
                snapshot = await poller.poll_once()  # the stack publishes its first ages now
            _print_snapshot(snapshot, runtime, as_json=as_json)
            if snapshot.error:
                _error(snapshot.error)
            return EXIT_FAILURE if snapshot.connection == "down" else EXIT_OK

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def show(snapshot: Any) -> None:
            if as_json:
                print(json.dumps(snapshot.to_json()), flush=True)
            else:
                render_status_table(snapshot, runtime, clear=sys.stdout.isatty())

        task = asyncio.create_task(poller.run(show))
        await stop.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return EXIT_OK
    finally:
        await poller.aclose()
        await runtime.aclose()


def _print_snapshot(snapshot: Any, runtime: Runtime, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(snapshot.to_json(), indent=2))
    else:
        from edgewatch.status_view import render_status_table

        render_status_table(snapshot, runtime, clear=False)


# -- console -----------------------------------------------------------------------------------


def _console(settings: Settings, source: ConfigSource, *, embedded: bool, seed: int | None) -> int:
    if not sys.stdout.isatty() and os.environ.get("EDGEWATCH_FORCE_TUI") != "1":
        _error("the console needs a terminal; for scripts use `edgewatch status --json`")
        return EXIT_USAGE
    from edgewatch.tui.app import EdgewatchApp

    runtime = Runtime.start(settings, source, embedded=embedded, seed=seed)
    try:
        app = EdgewatchApp(runtime)
        app.run()
        return int(app.return_code or 0)
    finally:
        runtime.stop_stack()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
