"""``edgewatch send`` through the real CLI entry point, against moto over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from edgewatch.cli import main
from tests.support.backends import Backend
from tests.support.fault_server import FaultServer, Partial
from tests.support.sqs import depth, receive_all

pytestmark = pytest.mark.backends  # moto and LocalStack

SECRET = "SendTestSecretKey0123456789"


@pytest.fixture(autouse=True)
def clean_env(no_user_config: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)  # moto takes any; it must never show


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    server = FaultServer()
    await server.start()
    yield server
    await server.stop()


def cli(endpoint: str, *args: str) -> int:
    return main([*args, "--endpoint-url", endpoint, "--region", "us-east-1"])


def drain(sqs: Any, url: str, expected: int) -> list[dict[str, Any]]:
    return asyncio.run(receive_all(sqs, url, expected))


def test_sends_template_events_that_arrive_intact(
    backend: Backend, boto3_sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert cli(backend.endpoint_url, "send", "--queue", "orders", "--count", "12") == 0
    out, err = capsys.readouterr()
    assert out.startswith("sent 12 of 12 to orders in ")
    assert "failed 0 · dropped 0" in out and "ack latency p50 " in out and " p99 " in out
    assert err == ""
    bodies = [json.loads(m["Body"]) for m in drain(boto3_sqs, url, 12)]
    assert all(b["type"] == "query" and "poison" not in b for b in bodies)
    shown = [b["request_id"] for b in bodies if b["request_id"] in out]
    assert len(shown) == 10  # the first ten request ids, then "… 2 more"
    assert "… 2 more (--json lists every event)" in out
    assert SECRET not in out + err


def test_json_lists_every_message_id_and_bodies_are_sent_as_written(
    backend: Backend, boto3_sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    body = '{"request_id": "rid-1", "emitted_at": 1, "note": "[b]kept[/b] ✓", "n": 1.50}'
    code = cli(
        backend.endpoint_url, "send", "--queue", url, "--body", body, "--count", "3", "--json"
    )
    assert code == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["requested"], doc["sent"], doc["failed"], doc["dropped"]) == (3, 3, 0, 0)
    assert doc["ok"] is True and doc["queue"] == {"name": "orders", "url": url, "fifo": False}
    assert set(doc["ack_latency_ms"]) == {"p50", "p99"} and doc["ack_latency_ms"]["p50"] >= 0
    assert [e["request_id"] for e in doc["events"]] == ["rid-1"] * 3
    messages = drain(boto3_sqs, url, 3)
    assert sorted(doc["message_ids"]) == sorted(m["MessageId"] for m in messages)
    assert [m["Body"] for m in messages] == [body] * 3  # byte for byte
    assert SECRET not in out + err


def test_poison_template_and_fifo_group(
    backend: Backend, boto3_sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = boto3_sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    args = ["send", "--queue", "events.fifo", "--template", "response", "--poison"]
    assert cli(backend.endpoint_url, *args, "--count", "2", "--group-id", "g-1") == 0
    for message in drain(boto3_sqs, url, 2):
        body = json.loads(message["Body"])
        assert body["poison"] is True and body["type"] == "response"
        assert message["Attributes"]["MessageGroupId"] == "g-1"


def test_a_bad_line_stops_the_file_unless_skipped(
    backend: Backend, boto3_sqs: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n\n{"n": 2,}\n[3]\n', "utf-8")
    assert cli(backend.endpoint_url, "send", "--queue", "orders", "--file", str(path)) == 2
    err = capsys.readouterr().err
    assert f"{path} line 3: invalid JSON" in err and "nothing sent" in err
    assert depth(boto3_sqs, url)[0] == 0

    args = ["send", "--queue", "orders", "--file", str(path), "--skip-invalid", "--json"]
    assert cli(backend.endpoint_url, *args) == 0
    out, err = capsys.readouterr()
    assert f"{path} line 3: invalid JSON: Expecting property name" in err and "skipped" in err
    assert [e["line"] for e in json.loads(out)["events"]] == [1, 4]
    bodies = sorted(m["Body"] for m in drain(boto3_sqs, url, 2))
    assert bodies[0] == "[3]" and json.loads(bodies[1])["n"] == 1


def test_unknown_queue_and_read_only_are_refused(
    backend: Backend, boto3_sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(backend.endpoint_url, "send", "--queue", "nope") == 1
    assert capsys.readouterr().err == "edgewatch: no such queue: nope\n"
    url = boto3_sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert cli(backend.endpoint_url, "send", "--queue", "orders", "--read-only") == 2
    assert "read-only mode: send is refused" in capsys.readouterr().err
    assert depth(boto3_sqs, url)[0] == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--count", "0"], "--count must be 1 to 100,000"),
        (["--rate", "0"], "--rate must be a positive number"),
        (["--body", "[1]", "--poison"], "poison needs a JSON object body"),
        (["--body", "{oops}"], "invalid JSON: Expecting property name"),
        (["--file", "x.jsonl", "--count", "2"], "--count does not apply to --file"),
        (["--skip-invalid"], "--skip-invalid applies to --file only"),
        (["--file", "/no/such/file.jsonl"], "cannot read /no/such/file.jsonl"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # no endpoint is contacted: a closed port would fail differently
    assert main(["send", "--queue", "q", *flags, "--endpoint-url", "http://127.0.0.1:9"]) == 2
    assert message in capsys.readouterr().err


async def test_a_refused_event_makes_the_exit_code_1(fault_server: FaultServer) -> None:
    fault_server.script.append(Partial({0: True}))
    args = ["send", "--queue", fault_server.queue_url, "--count", "2", "--json"]
    argv = [*args, "--endpoint-url", fault_server.endpoint_url, "--region", "us-east-1"]
    fault_server.secret_key = SECRET  # the scripted server checks every request's signature
    code, out = await asyncio.to_thread(_run_captured, argv)
    assert code == 1
    doc = json.loads(out)
    assert (doc["sent"], doc["failed"], doc["ok"]) == (1, 1, False)
    failed = next(e for e in doc["events"] if e["status"] == "failed")
    assert failed["error"] == "rejected (InvalidParameterValue): scripted entry failure"
    assert failed["message_id"] is None
    assert SECRET not in out


def _run_captured(argv: list[str]) -> tuple[int, str]:
    """The CLI on a thread of its own (its own event loop), stdout captured."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return code, buffer.getvalue()
