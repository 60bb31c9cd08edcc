"""``edgewatch demo``: only the embedded local stack, for boto3 / the AWS CLI to use."""

from __future__ import annotations

import argparse

from edgewatch.commands import CommandContext, Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("demo", parents=[common], help="run only the embedded local stack")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    from edgewatch.simulator.demo import run_demo

    return run_demo(port=args.port, seed=ctx.seed)
