"""``edgewatch replay`` and ``edgewatch dlq list`` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from edgewatch.cli import main
from edgewatch.dlq.models import REPLAY_ATTRIBUTE
from tests.support.faults import FailEntries
from tests.support.sqs import body_of, depth, drain, fill

pytestmark = [
    pytest.mark.backends,
    pytest.mark.usefixtures("no_user_config"),
]  # moto and LocalStack


def cli(endpoint: str, *args: str) -> int:
    return main([*args, "--endpoint-url", endpoint, "--region", "us-east-1"])


def test_read_only_refuses_replay_but_allows_a_dry_run(backend, boto3_sqs, pair, capsys):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "x"}])
    url = backend.endpoint_url
    assert cli(url, "replay", "orders-dlq", "--yes", "--read-only") == 2
    assert "read-only" in capsys.readouterr().err
    assert cli(url, "replay", "orders-dlq", "--dry-run", "--read-only", "--json") == 0
    assert json.loads(capsys.readouterr().out)["would_move"] == 1
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0)


def test_confirmation_is_required_without_yes(backend, boto3_sqs, pair, capsys):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "x"}])
    assert cli(backend.endpoint_url, "replay", "orders-dlq") == 2
    assert "--yes" in capsys.readouterr().err
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0) and depth(boto3_sqs, pair.source_url) == (0, 0)


def test_dry_run_prints_bodies_literally_and_moves_nothing(backend, boto3_sqs, pair, capsys):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "[bold]literal[/bold] \u202e reversed"}])
    assert cli(backend.endpoint_url, "replay", "orders-dlq", "--dry-run") == 0
    captured = capsys.readouterr()
    assert "dry run: would move 1" in captured.out
    assert "[bold]literal[/bold] \\u202e reversed" in captured.out  # escaped, not rendered
    assert "ApproximateReceiveCount" in captured.err and "orders" in captured.err
    assert depth(boto3_sqs, pair.dlq_url) == (1, 0)


def test_replay_json_summary_and_exit_code_on_failure(proxy, boto3_sqs, pair, capsys):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f"m{i}"} for i in range(12)))
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": "refused"}])
    proxy.rules.append(
        lambda req: (
            FailEntries(lambda e: body_of(e) == "refused", code="InvalidMessageContents")
            if req.operation == "SendMessageBatch"
            else None
        )
    )
    code = cli(proxy.endpoint_url, "replay", "orders-dlq", "--yes", "--json", "--rate", "1000")
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["moved"] == 12 and doc["failed"] == 1 and len(doc["moved_ids"]) == 12
    assert doc["messages"][0]["status"] == "failed"
    assert "InvalidMessageContents" in doc["messages"][0]["reason"]
    assert doc["plan"]["target"]["name"] == "orders" and doc["plan"]["rate"] == 1000
    assert [body_of(m) for m in drain(boto3_sqs, pair.dlq_url)] == ["refused"]
    moved = drain(boto3_sqs, pair.source_url)
    assert len(moved) == 12 and all(REPLAY_ATTRIBUTE in m["MessageAttributes"] for m in moved)


def test_filter_max_native_fallback_and_bad_flags(backend, boto3_sqs, pair, capsys):
    fill(
        boto3_sqs,
        pair.dlq_url,
        (
            {
                "MessageBody": json.dumps({"n": i}),
                "MessageAttributes": {
                    "kind": {"DataType": "String", "StringValue": "a" if i < 5 else "b"}
                },
            }
            for i in range(10)
        ),
    )
    url = backend.endpoint_url
    assert cli(url, "replay", "orders-dlq", "--yes", "--filter", "@kind == b", "--max", "3") == 0
    out = capsys.readouterr().out
    assert out.startswith("moved 3 ")
    assert sorted(json.loads(body_of(m))["n"] for m in drain(boto3_sqs, pair.source_url)) == [
        5,
        6,
        7,
    ]
    assert cli(url, "replay", "orders-dlq", "--yes", "--native", "--json") == 0
    captured = capsys.readouterr()
    if backend.is_localstack:  # it has move tasks: the native one ran, no fallback
        assert "native move unavailable" not in captured.err
    else:
        assert "native move unavailable" in captured.err and "moto does not" in captured.err
    assert json.loads(captured.out)["moved"] == 7
    assert cli(url, "replay", "orders-dlq", "--yes", "--native", "--max", "1") == 2
    assert "--native moves every message" in capsys.readouterr().err
    assert cli(url, "replay", "orders-dlq", "--yes", "--filter", "$.x ~ 1") == 2
    assert cli(url, "replay", "nope-dlq", "--yes") == 1
    assert "no such queue" in capsys.readouterr().err


def test_dlq_list_json_and_table(backend, boto3_sqs, pair, capsys):
    fill(
        boto3_sqs,
        pair.dlq_url,
        [
            {
                "MessageBody": json.dumps({"request_id": "req-7"}),
                "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
            },
            {"MessageBody": "[red]plain[/red]"},
        ],
    )
    url = backend.endpoint_url
    assert cli(url, "dlq", "list", "orders-dlq", "--json") == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert "ApproximateReceiveCount" in doc["warning"] and "ApproximateReceiveCount" in captured.err
    by_body = {m["body"]: m for m in doc["messages"]}
    first = by_body[json.dumps({"request_id": "req-7"})]
    assert first["request_id"] == "req-7" and first["receive_count"] == 1
    assert first["attributes"]["blob"] == {"type": "Binary", "binary_base64": "AP8="}
    assert depth(boto3_sqs, pair.dlq_url) == (2, 0)  # visible again
    assert cli(url, "dlq", "list", "orders-dlq") == 0
    out = capsys.readouterr().out
    assert "[red]plain[/red]" in out and "req-7" in out


def test_replay_settings_come_from_the_config(backend, boto3_sqs, pair, capsys, monkeypatch):
    once = {"DataType": "String", "StringValue": json.dumps({"count": 1})}
    fill(
        boto3_sqs,
        pair.dlq_url,
        [{"MessageBody": "x", "MessageAttributes": {REPLAY_ATTRIBUTE: once}}],
    )
    monkeypatch.setenv("EDGEWATCH_REPLAY__MAX_REPLAYS", "1")
    monkeypatch.setenv("EDGEWATCH_REPLAY__RATE", "25")
    assert cli(backend.endpoint_url, "replay", "orders-dlq", "--dry-run", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plan"]["rate"] == 25 and doc["plan"]["max_replays"] == 1
    assert doc["skipped"] == 1 and "already replayed 1" in doc["messages"][0]["reason"]
    monkeypatch.setenv("EDGEWATCH_REPLAY__CONCURRENCY", "0")
    assert cli(backend.endpoint_url, "replay", "orders-dlq", "--dry-run") == 2
    assert "replay.concurrency" in capsys.readouterr().err


def test_dlq_list_table_keeps_the_body_and_error_columns(backend, boto3_sqs, pair, capsys):
    """Long request IDs and attributes (a replayed message's record) must not squeeze the Body
    and Last error columns to nothing: they are why an operator lists a DLQ."""
    long_value = {"DataType": "String", "StringValue": "v" * 200}
    fill(
        boto3_sqs,
        pair.dlq_url,
        [
            {
                "MessageBody": json.dumps({"marker": "BODYMARK", "request_id": "r" * 90}),
                "MessageAttributes": {f"attr{i}": long_value for i in range(4)},
            }
        ],
    )
    assert cli(backend.endpoint_url, "dlq", "list", "orders-dlq", "--no-logs") == 0
    out = capsys.readouterr().out
    assert "Last error" in out and "BODYMARK" in out
