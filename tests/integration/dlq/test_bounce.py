"""Bounce-back against moto: replay, a consumer that still fails, the messages come back."""

from __future__ import annotations

import json
import threading

from edgewatch.cli import main
from edgewatch.dlq.bounce import BounceWatcher, moved_by
from edgewatch.dlq.replay import ReplayEngine, plan_replay
from tests.support.sqs import Pair, depth, fill


def failing_consumer(sqs, url: str, *, fixed: set[str]) -> None:
    """Receives without deleting (a consumer that still fails), except bodies in ``fixed``.

    moto dead-letters a message on the receive after its ``maxReceiveCount``-th (3 here).
    """
    for _ in range(10):
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        for m in resp.get("Messages", []):
            if m["Body"] in fixed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if depth(sqs, url) == (0, 0):
            return
    raise AssertionError(f"the source still holds {depth(sqs, url)}")


async def test_replayed_messages_the_consumer_still_fails_come_back(
    aws_clients, boto3_sqs, pair: Pair
):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": b} for b in ("poison-1", "poison-2", "ok")])
    plan = await plan_replay(aws_clients, "orders-dlq")
    result = await ReplayEngine(aws_clients, plan).run()
    assert result.moved == 3 and depth(boto3_sqs, pair.dlq_url) == (0, 0)
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "unrelated"}])  # not part of the replay

    watcher = BounceWatcher(aws_clients, "orders-dlq", moved_by(result))
    assert await watcher.scan() == 0  # nothing back yet
    failing_consumer(boto3_sqs, pair.source_url, fixed={"ok"})
    report = await watcher.watch(1.0, interval_s=0.2)  # all back already: 1 s is plenty
    assert report.replayed == 3 and report.came_back == 2
    assert report.summary.startswith("2 of 3 replayed message(s) came back to orders-dlq")
    assert "the fix did not work" in report.summary
    by_body = {o.preview: o.message_id for o in result.by_status("moved")}
    assert set(report.message_ids) == {by_body["poison-1"], by_body["poison-2"]}
    # The scans gave every message back: all three are visible in the DLQ again.
    assert depth(boto3_sqs, pair.dlq_url) == (3, 0)


def test_replay_watch_bounce_reports_them_and_exits_3(moto_server, boto3_sqs, pair, capsys):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": f"poison-{i}"} for i in range(4)])
    argv = ["--endpoint-url", moto_server.endpoint_url, "replay", "orders-dlq", "--yes"]

    # Nobody fails them within the watch: exit 0, "0 of 4".
    assert main([*argv, "--json", "--watch-bounce", "0.5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["moved"] == 4 and doc["bounce"]["came_back"] == 0
    assert doc["bounce"]["summary"].startswith("0 of 4 replayed message(s) came back")
    failing_consumer(boto3_sqs, pair.source_url, fixed=set())  # the fix did not work
    assert depth(boto3_sqs, pair.dlq_url) == (4, 0)

    # Now with the failing consumer running while edgewatch watches.
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            boto3_sqs.receive_message(
                QueueUrl=pair.source_url, MaxNumberOfMessages=10, VisibilityTimeout=0
            )
            stop.wait(0.05)

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    try:
        assert main([*argv, "--max", "4", "--watch-bounce", "30"]) == 3
    finally:
        stop.set()
        worker.join(5)
    out = capsys.readouterr().out
    assert "4 of 4 replayed message(s) came back to orders-dlq" in out
    assert "the fix did not work" in out
