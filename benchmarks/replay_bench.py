"""Replay throughput against a moto server: the client-side engine vs a one-message loop.

Budget (DESIGN.md §6): the engine moves messages ≥ 5× faster than a loop that receives one
message, sends it, deletes it. Both run in the same invocation, against the same moto server,
from identical DLQs (same bodies, same attributes, same depth), each into its own empty target,
through the same client stack (aiobotocore, edgewatch's AwsClients). Each depth is measured
``--repeats`` times (loop and engine alternately); the table gives the medians.

    uv run python benchmarks/replay_bench.py [--depths 25,100,300,1000] [--repeats 3] [--in-process]

The server is the embedded stack's (``MotoServer``), with its fixes to moto's per-message queue
scans (``edgewatch.simulator.moto_fixes``); ``--stock-moto`` measures moto as released, whose
ReceiveMessage cost per message grows with the DLQ's depth whatever the batch size (DESIGN.md §8).
Both loops poll with WaitTimeSeconds=0 (moto's short poll is exact; against AWS the engine's final
1 s long poll is paid once per run). By default moto runs in its own process (as `edgewatch demo`
serves it); ``--in-process`` shares this process's GIL, as the console's embedded stack does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.dlq.replay import ReplayEngine, ReplayOptions, plan_replay
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

SERVER = (
    "import sys; from edgewatch.simulator.moto_server import MotoServer; "
    "s = MotoServer(moto_fixes=sys.argv[1] == 'fixed'); "
    "s.start(); print(s.endpoint_url, flush=True); sys.stdin.read()"
)


def body(i: int) -> str:
    return json.dumps({"request_id": f"req-{i:06d}", "latency_ms": i % 300, "pad": "x" * 150})


async def make_dlq(sqs: Any, name: str, n: int) -> tuple[str, str]:
    dlq = (await sqs.create_queue(QueueName=f"{name}-dlq"))["QueueUrl"]
    target = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    for start in range(0, n, 10):
        entries = [
            {
                "Id": f"e{i}",
                "MessageBody": body(i),
                "MessageAttributes": {
                    "tenant": {"DataType": "String", "StringValue": f"t{i % 7}"},
                    "blob": {"DataType": "Binary", "BinaryValue": i.to_bytes(4, "big")},
                },
            }
            for i in range(start, min(n, start + 10))
        ]
        await sqs.send_message_batch(QueueUrl=dlq, Entries=entries)
    return dlq, target


async def one_by_one(sqs: Any, dlq: str, target: str) -> int:
    """The baseline: receive one, send it, delete it, until the DLQ is empty."""
    moved = 0
    while True:
        resp = await sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=1, MessageAttributeNames=["All"], WaitTimeSeconds=0
        )
        msgs = resp.get("Messages", [])
        if not msgs:
            return moved
        m = msgs[0]
        kwargs: dict[str, Any] = {"QueueUrl": target, "MessageBody": m["Body"]}
        if m.get("MessageAttributes"):
            kwargs["MessageAttributes"] = m["MessageAttributes"]
        await sqs.send_message(**kwargs)
        await sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
        moved += 1


async def bench(endpoint: str, n: int, tag: str) -> tuple[float, float]:
    """One measurement at depth ``n``: (loop msg/s, engine msg/s)."""
    clients = AwsClients(
        AwsTarget(region="us-east-1", endpoint_url=endpoint, credentials=FAKE_CREDENTIALS)
    )
    try:
        sqs = await clients.sqs()
        loop_dlq, loop_target = await make_dlq(sqs, f"bench-loop-{tag}", n)
        engine_dlq, engine_target = await make_dlq(sqs, f"bench-engine-{tag}", n)

        start = time.perf_counter()
        moved = await one_by_one(sqs, loop_dlq, loop_target)
        loop_s = time.perf_counter() - start
        assert moved == n, f"loop moved {moved} of {n}"

        plan = await plan_replay(
            clients, engine_dlq, to=engine_target, options=ReplayOptions(wait_time_s=0)
        )
        start = time.perf_counter()
        result = await ReplayEngine(clients, plan).run()
        engine_s = time.perf_counter() - start
        assert result.ok and result.moved == n, (result.counts, result.error)
        for url in (loop_dlq, loop_target, engine_dlq, engine_target):
            await sqs.delete_queue(QueueUrl=url)  # the next run meets the same, empty server
        return n / loop_s, n / engine_s
    finally:
        await clients.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--depths", default="25,100,300,1000", help="DLQ depths to measure (messages per DLQ)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="measurements per depth (median)")
    parser.add_argument("--in-process", action="store_true", help="moto in this process")
    parser.add_argument(
        "--stock-moto", action="store_true", help="moto without the embedded stack's fixes"
    )
    args = parser.parse_args()
    depths = [int(d) for d in args.depths.split(",")]

    server = None
    proc = None
    if args.in_process:
        from edgewatch.simulator.moto_server import MotoServer

        server = MotoServer(moto_fixes=not args.stock_moto)
        endpoint = server.start()
    else:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, "stock" if args.stock_moto else "fixed"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
    results = []
    try:
        for depth in depths:
            runs = [
                asyncio.run(bench(endpoint, depth, f"{depth}-{i}")) for i in range(args.repeats)
            ]
            loop_rate = statistics.median(r[0] for r in runs)
            engine_rate = statistics.median(r[1] for r in runs)
            results.append((depth, loop_rate, engine_rate))
    finally:
        if server is not None:
            server.stop()
        if proc is not None:
            proc.kill()
            proc.wait()
    where = "in this process" if args.in_process else "in its own process"
    moto = "stock moto" if args.stock_moto else "moto with the embedded stack's fixes"
    print(f"replay throughput, {moto}, {where}, median of {args.repeats}")
    print("(budget: engine >= 5x the one-message loop)")
    print(f"{'DLQ depth':>9}  {'1-msg loop':>12}  {'engine':>12}  {'ratio':>6}")
    for depth, loop_rate, engine_rate in results:
        ratio = engine_rate / loop_rate
        verdict = "ok" if ratio >= 5 else "below budget"
        print(
            f"{depth:>9}  {loop_rate:>8.1f} msg/s  {engine_rate:>6.1f} msg/s  {ratio:>5.1f}x  "
            f"{verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
