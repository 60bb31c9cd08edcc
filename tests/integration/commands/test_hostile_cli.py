"""Hostile input and bad configuration through the real CLI (in-process ``main``, moto over HTTP):
deep JSON bodies and log events, terminal escapes in IDs, group and stream names, bidi and line
separators in log lines, a profile that does not exist, a queue URL of another region."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from edgewatch.cli import main
from tests.support.logs import LogsArranger
from tests.support.sqs import depth, fill
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_user_config")

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
# JSON escapes in the body (SQS takes it), real ESCs in the decoded request ID
SPOOF = r'{"request_id":"\u001b]0;TITLE\u001b\\\u001b[2J\u001b[HSPOOF: all clear","n":1}'
RAW = ("\x1b", "\x9b", "\x07", "\u202e", "\u2028", "\u2029", "\x85")
GROUP = "/edge/consumer"


def cli(endpoint: str, *args: str) -> int:
    return main([*args, "--endpoint-url", endpoint, "--region", "us-east-1"])


def assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the terminal"


# -- D1: a body nested 5,000 deep never stops a list, a dry run or a replay --------------------


def test_a_deep_body_is_listed_dry_run_and_replayed_with_exact_counts(
    moto_server, boto3_sqs, pair, capsys
):
    fill(boto3_sqs, pair.dlq_url, [*({"MessageBody": f'{{"n": {i}}}'} for i in range(5)),
                                   {"MessageBody": DEEP}])  # fmt: skip
    url = moto_server.endpoint_url
    assert cli(url, "dlq", "list", "orders-dlq", "--max", "10") == 0
    out = capsys.readouterr()
    assert "6 message(s)" in out.out and "RecursionError" not in out.out + out.err
    assert cli(url, "dlq", "list", "orders-dlq", "--max", "10", "--json") == 0
    assert len(json.loads(capsys.readouterr().out)["messages"]) == 6
    assert cli(url, "replay", "orders-dlq", "--dry-run", "--json") == 0
    assert json.loads(capsys.readouterr().out)["would_move"] == 6
    assert cli(url, "replay", "orders-dlq", "--yes", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["moved"] == 6 and doc["failed"] == 0
    assert depth(boto3_sqs, pair.source_url) == (6, 0) and depth(boto3_sqs, pair.dlq_url) == (0, 0)


# -- D3: escapes in a request ID or a FIFO group never reach the terminal ----------------------


def test_escapes_in_request_ids_are_shown_not_obeyed_by_list_and_dry_run(
    moto_server, boto3_sqs, pair, capsys
):
    fill(boto3_sqs, pair.dlq_url, [{"MessageBody": SPOOF}])
    url = moto_server.endpoint_url
    assert cli(url, "dlq", "list", "orders-dlq") == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "\\x1b]0;TITLE" in out and "\\x1b[2J" in out
    assert cli(url, "replay", "orders-dlq", "--dry-run") == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "\\x1b]0;TITLE" in out


def test_escapes_in_a_fifo_group_id_are_shown_not_obeyed(moto_server, boto3_sqs, fifo_pair, capsys):
    boto3_sqs.send_message(
        QueueUrl=fifo_pair.dlq_url, MessageBody='{"n": 1}',
        MessageGroupId="g\x1b[2J\x9b31m", MessageDeduplicationId="d-1",
    )  # fmt: skip
    url = moto_server.endpoint_url
    assert cli(url, "dlq", "list", fifo_pair.dlq_url) == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "g\\x1b[2J\\x9b31m" in out.replace("\n", "").replace(" ", "") or "g\\x1b" in out
    assert cli(url, "replay", fifo_pair.dlq_url, "--dry-run") == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "g\\x1b" in out


# -- D2, D4, D10: tail ----------------------------------------------------------------------------


def _put(logs: LogsArranger, stream: str, messages: list[str]) -> None:
    now = int(time.time() * 1000)
    logs.put(GROUP, stream, [(now - 5000 + i, m) for i, m in enumerate(messages)])


def _line(n: int, **extra: object) -> str:
    return json.dumps({"level": "INFO", "message": f"event {n}", **extra})


def test_a_deep_log_event_never_stops_tail_plain_or_json(moto_server, capsys):
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    _put(logs, "s1", [_line(1), DEEP_OBJECT, _line(2)])
    url = moto_server.endpoint_url
    assert cli(url, "tail", "--log-group", GROUP, "--since", "1h") == 0
    out = capsys.readouterr()
    assert "event 1" in out.out and "event 2" in out.out and "RecursionError" not in out.err
    assert len(out.out.splitlines()) == 3  # the deep one too, as text
    assert cli(url, "tail", "--log-group", GROUP, "--since", "1h", "--json") == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["parsed"] is None for d in docs] == [False, True, False]


def test_a_deep_log_event_never_stops_tail_follow(moto_server, tmp_path):
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    _put(logs, "s1", [DEEP_OBJECT, _line(1)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEWATCH_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    env["EDGEWATCH_LOGS__POLL_INTERVAL"] = "0.2"
    out_file = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "edgewatch",
        "tail",
        "--follow",
        "--log-group",
        GROUP,
        "--since",
        "1h",
        "--endpoint-url",
        moto_server.endpoint_url,
        "--region",
        "us-east-1",
    ]
    with out_file.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: b"event 1" in out_file.read_bytes(), 60, "the line after")
            _put(logs, "s2", [_line(2)])
            wait_until(lambda: b"event 2" in out_file.read_bytes(), 60, "a followed line")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"RecursionError" not in err


def test_escapes_in_a_stream_name_are_shown_not_obeyed(moto_server, capsys):
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    _put(logs, "s\x1b]0;TITLE\x07\x1b[2J", [_line(1)])
    assert cli(moto_server.endpoint_url, "tail", "--log-group", GROUP, "--since", "1h") == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "s\\x1b]0;TITLE\\x07\\x1b[2J" in out and "event 1" in out


def test_bidi_and_line_separators_in_a_log_line_are_shown_escaped(moto_server, capsys):
    logs = LogsArranger(moto_server.endpoint_url)
    logs.group(GROUP)
    _put(logs, "s1", ["plain \u202eevil\u202c a\u2028b\u2029c\x85d \u2066x\u2069"])
    assert cli(moto_server.endpoint_url, "tail", "--log-group", GROUP, "--since", "1h") == 0
    out = capsys.readouterr().out
    assert_clean(out)
    assert "\\u202eevil\\u202c a\\u2028b\\u2029c\\x85d \\u2066x\\u2069" in out
    assert len(out.splitlines()) == 1


# -- D8, D9: configuration that will certainly fail is refused, one line, exit 2 ---------------


def test_a_queue_url_of_another_region_is_refused(moto_server, capsys, monkeypatch):
    monkeypatch.setenv(
        "EDGEWATCH_QUEUES", "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    )
    for command in (["config", "check"], ["status"]):
        assert cli(moto_server.endpoint_url, *command) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert "eu-west-1" in err and "us-east-1" in err and "Traceback" not in err


def test_a_profile_that_does_not_exist_is_refused(moto_server, capsys):
    for command in (["config", "check"], ["status"]):
        assert cli(moto_server.endpoint_url, *command, "--profile", "no-such-profile") == 2
        captured = capsys.readouterr()
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert "no-such-profile" in captured.err and "ok:" not in captured.out


def test_a_fleet_source_profile_that_does_not_exist_is_refused(moto_server, capsys, monkeypatch):
    monkeypatch.setenv("EDGEWATCH_FLEET__SOURCES", '[{"profile": "ghost", "region": "eu-west-1"}]')
    assert cli(moto_server.endpoint_url, "config", "check") == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "fleet.sources[0].profile" in err
