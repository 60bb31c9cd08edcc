"""Send events with ``ThreadedEmitter`` from plain sync code, 8 threads and a forked child.

Needs only the ``edgewatch-emitter`` package (and its botocore): CI runs it in a fresh venv with
the emitter's wheel alone, against a moto server. For each mode it checks the books: every event
emitted is sent, failed or dropped (counted), and the queue holds exactly the sent ones (no
loss, no duplicate). Prints one JSON line per mode; exits 1 if any mode does not add up.

    python scripts/emitter_delivery_check.py --endpoint http://127.0.0.1:5000 --events 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from typing import Any

import botocore.session
from edgewatch_emitter import EmitterOptions
from edgewatch_emitter.threaded import ThreadedEmitter

THREADS = 8


def sqs_client(endpoint: str) -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        "sqs",
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def depth(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attrs[name]) for name in names)


def books(stats: Any) -> dict[str, int]:
    return {"sent": stats.sent, "failed": stats.failed, "dropped": stats.dropped}


def run_sync(url: str, options: EmitterOptions, events: int) -> dict[str, int]:
    """A plain script: no event loop anywhere in this thread."""
    with ThreadedEmitter(url, options) as emitter:
        for i in range(events):
            emitter.emit({"mode": "sync", "i": i})
    return {"emitted": events, **books(emitter.stats())}


def run_threads(url: str, options: EmitterOptions, events: int) -> dict[str, int]:
    emitter = ThreadedEmitter(url, options)
    share = events // THREADS
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        barrier.wait()  # all eight emit at once
        for i in range(share):
            emitter.emit({"mode": "threads", "thread": n, "i": i})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    emitter.close(60)
    return {"emitted": share * THREADS, **books(emitter.stats())}


def run_fork(url: str, options: EmitterOptions, events: int) -> dict[str, int]:
    """The parent emits, forks, and both go on: the child must send only its own events."""
    emitter = ThreadedEmitter(url, options)
    half = events // 2
    for i in range(half):
        emitter.emit({"mode": "fork", "who": "parent", "i": i})
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own buffer and thread (the fork hook made them)
        os.close(read_end)
        code = 0
        try:
            for i in range(events - half):
                emitter.emit({"mode": "fork", "who": "child", "i": i})
            emitter.close(60)
            report = {"forks": emitter.forks, **books(emitter.stats())}
            os.write(write_end, json.dumps(report).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)  # skips atexit, hence the explicit close above
    os.close(write_end)
    emitter.close(60)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    child = json.loads(b"".join(chunks) or b"{}")
    if status != 0 or child.get("forks") != 1:
        raise SystemExit(f"forked child failed (status {status}, report {child})")
    parent = books(emitter.stats())
    return {"emitted": events, **{k: parent[k] + child[k] for k in parent}}


MODES = {"sync": run_sync, "threads": run_threads, "fork": run_fork}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--max-buffer", type=int, default=10_000)
    args = parser.parse_args(argv)
    sqs = sqs_client(args.endpoint)
    options = EmitterOptions(
        endpoint_url=args.endpoint,
        region=sqs.meta.region_name,
        max_buffer=args.max_buffer,
        max_message_bytes=262_144,
    )
    ok = True
    for mode in args.modes.split(","):
        url = sqs.create_queue(QueueName=f"delivery-{mode}-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        started = time.perf_counter()
        result = MODES[mode](url, options, args.events)
        in_queue = depth(sqs, url)
        settled = result["sent"] + result["failed"] + result["dropped"]
        good = settled == result["emitted"] and in_queue == result["sent"]
        ok &= good
        print(
            json.dumps(
                {
                    "mode": mode,
                    **result,
                    "in_queue": in_queue,
                    "seconds": round(time.perf_counter() - started, 2),
                    "ok": good,
                }
            ),
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
