"""``edgewatch demo``: run only the embedded stack and print how other clients can reach it.

The output is ``key=value`` lines (easy to parse from a script or a test) followed by ``#`` hint
lines; then the process serves until SIGINT or SIGTERM and stops cleanly, exit status 0.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from edgewatch.simulator.stack import EmbeddedStack


def describe(stack: EmbeddedStack) -> list[str]:
    """The lines ``run_demo`` prints for a started stack."""
    res = stack.resources
    key, secret = FAKE_CREDENTIALS
    url = stack.endpoint_url
    names = ",".join(q.name for q in res.sources)
    return [
        f"endpoint_url={url}",
        f"region={res.region}",
        *(f"queue_url={q.url}" for q in res.queues),
        *(f"log_group={g}" for g in res.log_groups),
        *(f"function={f.name}" for f in res.functions),
        f"seed={stack.seed}",
        f"# any client (boto3, AWS CLI, edgewatch): export AWS_ACCESS_KEY_ID={key} "
        f"AWS_SECRET_ACCESS_KEY={secret} AWS_DEFAULT_REGION={res.region}",
        f"#   aws --endpoint-url {url} sqs list-queues",
        f"#   aws --endpoint-url {url} logs tail {res.log_group} --follow",
        f"#   EDGEWATCH_AWS__ENDPOINT_URL={url} EDGEWATCH_QUEUES={names} edgewatch",
        "# Ctrl-C stops the stack.",
    ]


def run_demo(port: int = 0, seed: int | None = None, out: TextIO = sys.stdout) -> int:
    """Start the stack, print its coordinates, serve until SIGINT/SIGTERM; the exit status."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:  # signal handlers can only be installed from the main thread
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    stack = EmbeddedStack(seed=seed, port=port)
    try:
        try:
            stack.start()
        except OSError as exc:
            print(
                f"edgewatch demo: cannot serve on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr
            )
            return 1
        out.write("\n".join(describe(stack)) + "\n")
        out.flush()
        while not stop.wait(0.5):
            pass
        stats = stack.stats
        stack.stop()
        out.write(
            f"# stopped: {stats.sent} events sent, {stats.processed} processed, "
            f"{stats.failed} failed attempts, {stats.poison} poison\n"
        )
        out.flush()
        return 0
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
