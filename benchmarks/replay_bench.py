"""Replay throughput against a moto server: the client-side engine vs a one-message loop.

Budget (DESIGN.md §6): the engine moves messages ≥ 5× faster than a loop that receives one
message, sends it, deletes it. Both run in the same invocation, against the same moto server,
from identical DLQs (same bodies, same attributes, same depth), each into its own empty target,
through the same client stack (aiobotocore, edgewatch's AwsClients).

    uv run python benchmarks/replay_bench.py [--depths 10,25,100,300] [--in-process]

moto rescans the whole queue for *every message it returns* from ReceiveMessage (its retention
check reads every queue attribute, three passes over the queue), so its cost per message grows
with the DLQ's depth whatever the batch size (DESIGN.md §8). Batching and pipelining save the
fixed cost per call; once moto's per-message scan dominates, both loops converge. The sweep shows
where: the budget is met on shallow DLQs (what the embedded stack keeps) and not on deep ones.
Both loops poll with WaitTimeSeconds=0 (moto's short poll is exact; against AWS the engine's final
1 s long poll is paid once per run). By default moto runs in its own process (as `edgewatch demo`
serves it); ``--in-process`` shares this process's GIL, as the console's embedded stack does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.localstack.server import FAKE_CREDENTIALS
from edgewatch.replay import ReplayEngine, ReplayOptions, plan_replay

SERVER = (
    "import sys; from edgewatch.localstack.server import MotoServer; s = MotoServer(); "
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
        return n / loop_s, n / engine_s
    finally:
        await clients.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--depths", default="10,25,100,300", help="DLQ depths to measure (messages per DLQ)"
    )
    parser.add_argument("--in-process", action="store_true", help="moto in this process")
    args = parser.parse_args()
    depths = [int(d) for d in args.depths.split(",")]

    server = None
    proc = None
    if args.in_process:
        from edgewatch.localstack.server import MotoServer

        server = MotoServer()
        endpoint = server.start()
    else:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
    results = []
    try:
        for depth in depths:
            results.append((depth, *asyncio.run(bench(endpoint, depth, str(depth)))))
    finally:
        if server is not None:
            server.stop()
        if proc is not None:
            proc.kill()
            proc.wait()
    where = "in this process" if args.in_process else "in its own process"
    print(f"replay throughput, moto {where} (budget: engine >= 5x the one-message loop)")
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
