"""Generated hostile input through every CLI command's plain and ``--json`` output (hypothesis,
derandomized, a small fixed budget: each example makes real calls to moto over HTTP).

Bodies, attributes, FIFO group IDs, log stream names and lines, request IDs in sent bodies and
error messages from the endpoint carry controls, escapes, bidi, separators, markup and deep
JSON. Whatever comes out on stdout or stderr must be free of them, ``--json`` must parse, and
no command may end in a traceback."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgewatch.cli import main
from tests.support.faults import Reply
from tests.support.hostile import HOSTILE_SLOW, assert_clean, bodies, hostile_text, sqs_safe
from tests.support.logs import LogsArranger
from tests.support.sqs import fill, make_pair

pytestmark = pytest.mark.usefixtures("no_user_config")

_names = itertools.count()


def run(capsys, endpoint: str, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--endpoint-url", endpoint, "--region", "us-east-1"])
    out = capsys.readouterr()
    for stream in (out.out, out.err):
        assert_clean(stream, " ".join(args))
        assert "Traceback" not in stream
    return code, out.out, out.err


@HOSTILE_SLOW
@given(body=bodies, text=hostile_text)
def test_dlq_list_and_replay_dry_run(moto_server, boto3_sqs, capsys, body: str, text: str):
    pair = make_pair(boto3_sqs, f"h{next(_names)}")
    value = sqs_safe(text) or "-"
    fill(boto3_sqs, pair.dlq_url, [
        {"MessageBody": sqs_safe(body) or "-",
         "MessageAttributes": {"note": {"DataType": "String", "StringValue": value}}},
        {"MessageBody": json.dumps({"request_id": text, "n": 1})},
    ])  # fmt: skip
    url = moto_server.endpoint_url
    code, _, _ = run(capsys, url, "dlq", "list", pair.dlq_url, "--max", "2")
    assert code == 0
    code, out, _ = run(capsys, url, "dlq", "list", pair.dlq_url, "--max", "2", "--json")
    assert code == 0 and len(json.loads(out)["messages"]) == 2
    code, _, _ = run(capsys, url, "replay", pair.dlq_url, "--dry-run", "--max", "2")
    assert code in (0, 1)  # 1: a body SQS would refuse to take back is reported, not a crash
    code, out, _ = run(capsys, url, "replay", pair.dlq_url, "--dry-run", "--max", "2", "--json")
    assert json.loads(out)["would_move"] + json.loads(out)["failed"] == 2


@HOSTILE_SLOW
@given(group=hostile_text)
def test_fifo_group_ids(moto_server, boto3_sqs, capsys, group: str):
    pair = make_pair(boto3_sqs, f"g{next(_names)}", fifo=True)
    boto3_sqs.send_message(
        QueueUrl=pair.dlq_url, MessageBody="{}", MessageGroupId=sqs_safe(group)[:128] or "g",
        MessageDeduplicationId="d",
    )  # fmt: skip
    url = moto_server.endpoint_url
    assert run(capsys, url, "dlq", "list", pair.dlq_url, "--max", "1")[0] == 0
    assert run(capsys, url, "replay", pair.dlq_url, "--dry-run", "--max", "1")[0] == 0
    json.loads(run(capsys, url, "replay", pair.dlq_url, "--dry-run", "--max", "1", "--json")[1])


@HOSTILE_SLOW
@given(stream=hostile_text, message=st.one_of(bodies, hostile_text))
def test_tail_plain_and_json(moto_server, capsys, stream: str, message: str):
    group = f"/hostile/{next(_names)}"
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(group)
    name = sqs_safe(stream).replace(":", "").replace("*", "")[:500] or "s"
    now = int(time.time() * 1000)
    logs.put(group, name, [(now - 2000, sqs_safe(message) or "-"), (now - 1000, "after")])
    url = moto_server.endpoint_url
    code, out, _ = run(capsys, url, "tail", "--log-group", group, "--since", "1h")
    assert code == 0 and out.rstrip("\n").endswith("after")
    code, out, _ = run(capsys, url, "tail", "--log-group", group, "--since", "1h", "--json")
    assert code == 0 and [json.loads(line)["message"] for line in out.splitlines()][-1] == "after"


@HOSTILE_SLOW
@given(message=hostile_text)
def test_status_with_hostile_endpoint_errors(proxy, boto3_sqs, capsys, monkeypatch, message):
    proxy.rules[:] = [
        lambda req: Reply({"__type": "com.amazonaws.sqs#AccessDenied", "message": message}, 400)
    ]
    monkeypatch.setenv("EDGEWATCH_QUEUES", "orders")
    for args in (["status"], ["status", "--json"]):
        code, out, _ = run(capsys, proxy.endpoint_url, *args)
        assert code in (0, 1)
        if "--json" in args:
            json.loads(out)


@HOSTILE_SLOW
@given(request_id=hostile_text)
def test_send_summary(moto_server, boto3_sqs, capsys, request_id: str):
    queue = boto3_sqs.create_queue(QueueName=f"s{next(_names)}")["QueueUrl"]
    body = json.dumps({"request_id": request_id, "emitted_at": 1})
    url = moto_server.endpoint_url
    code, _, _ = run(capsys, url, "send", "--queue", queue, "--body", body)
    assert code in (0, 1)
    code, out, _ = run(capsys, url, "send", "--queue", queue, "--body", body, "--json")
    assert json.loads(out)["requested"] == 1
