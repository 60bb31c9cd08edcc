"""``edgewatch tail`` through the real CLI, against moto over HTTP and real files and pipes."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgewatch.cli import main
from edgewatch.commands.tail import format_line
from edgewatch.display.escape import escape
from edgewatch.logs.latency import LatencyStats
from edgewatch.logs.models import make_line
from tests.support.logs import now_ms, record

pytestmark = [
    pytest.mark.backends,
    pytest.mark.usefixtures("no_user_config"),
]  # moto and LocalStack

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker_logs(logs):
    """Two groups with interleaved requests; returns (t, the expected request's event count)."""
    t = now_ms() - 60_000
    logs.group("/app/worker")
    logs.group("/app/other")
    logs.put(
        "/app/worker",
        "2026/11/23/[consumer]041900",
        [
            (t, record("req-1", 1)),
            (t + 1, record("req-2", 2)),
            (t + 2, "START req-1 as plain text"),
            (t + 3, record("req-1", 3, level="error", error="boom")),
        ],
    )
    logs.put("/app/other", "s", [(t + 4, record("req-1", 4)), (t + 5, record("req-3", 5))])
    return t


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_request_id_json_returns_exactly_that_requests_lines(backend, worker_logs, capsys):
    code, out, err = run_cli(
        capsys,
        "--endpoint-url", backend.endpoint_url,
        "tail", "--log-group", "/app/worker", "--log-group", "/app/other",
        "--request-id", "req-1", "--json", "--since", "1h",
    )  # fmt: skip
    assert code == 0
    # LocalStack ignores filter patterns: said once per group on stderr; moto applies them
    assert ("ignored the filter pattern" in err) is backend.is_localstack
    assert all("ignored the filter pattern" in e for e in err.splitlines())
    objects = [json.loads(text) for text in out.splitlines()]
    assert sorted(o["parsed"]["n"] for o in objects) == [1, 3, 4]
    assert {o["request_id"] for o in objects} == {"req-1"}
    first = next(o for o in objects if o["parsed"]["n"] == 1)
    assert first["log_group"] == "/app/worker"
    assert first["log_stream"] == "2026/11/23/[consumer]041900"
    assert first["timestamp_ms"] == worker_logs and first["level"] == "INFO"
    assert first["timestamp"].endswith("Z")
    assert set(first) == {
        "timestamp", "timestamp_ms", "log_group", "log_stream", "event_id", "request_id",
        "level", "message", "parsed", "format", "kind", "message_ids", "duration_ms",
        "init_duration_ms", "status", "error_type", "error_message", "correlation_id",
        "receive_count",
    }  # fmt: skip


def test_plain_lines_with_grep(backend, worker_logs, capsys):
    code, out, err = run_cli(
        capsys,
        "tail", "--endpoint-url", backend.endpoint_url, "--log-group", "/app/worker",
        "--grep", "req-1",
    )  # fmt: skip
    assert code == 0
    # LocalStack ignores filter patterns: said once per group on stderr; moto applies them
    assert ("ignored the filter pattern" in err) is backend.is_localstack
    assert all("ignored the filter pattern" in e for e in err.splitlines())
    lines = out.splitlines()
    assert len(lines) == 3
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(worker_logs / 1000))
    assert lines[0].startswith(f"{stamp}.{worker_logs % 1000:03d}Z worker/[consumer]041900 {{")
    assert lines[1].endswith(" START req-1 as plain text")


def test_missing_group_fails_with_one_line(backend, capsys):
    code, out, err = run_cli(
        capsys, "tail", "--endpoint-url", backend.endpoint_url, "--log-group", "/nope"
    )
    assert code == 1 and out == ""
    assert err == "edgewatch: /nope: log group not found\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since 'yesterday': expected a duration"),
        (["--request-id", " "], "the request ID is empty"),
        ([], "set logs.groups"),
    ],
)
def test_usage_errors_exit_2(backend, capsys, argv, message):
    code, out, err = run_cli(capsys, "tail", "--endpoint-url", backend.endpoint_url, *argv)
    assert code == 2 and out == ""
    assert err.startswith("edgewatch: ") and message in err and "Traceback" not in err


def test_configured_groups_are_used(backend, worker_logs, capsys, monkeypatch):
    monkeypatch.setenv("EDGEWATCH_LOGS__GROUPS", "/app/other")
    code, out, _ = run_cli(
        capsys, "tail", "--endpoint-url", backend.endpoint_url, "--json", "--since", "1h"
    )
    assert code == 0
    assert [json.loads(text)["parsed"]["n"] for text in out.splitlines()] == [4, 5]


def test_file_source_and_terminal_safety(tmp_path, capsys):
    path = tmp_path / "w.jsonl"
    path.write_text('{"request_id": "a", "msg": "\\u001b[31mred\\u001b[0m"}\nplain\ttabbed\r\n')
    code, out, err = run_cli(capsys, "tail", "--file", str(path))
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert "\x1b" not in out
    assert first.split(" ", 2)[1] == "w.jsonl"
    assert second.endswith(" w.jsonl plain\ttabbed")


def test_file_is_read_whole_by_default_and_since_filters_stamped_lines(tmp_path, capsys):
    path = tmp_path / "w.jsonl"
    path.write_text('{"timestamp": "2020-01-01T00:00:00Z", "n": 1}\n{"n": 2}\n')
    code, out, _ = run_cli(capsys, "tail", "--file", str(path), "--json")
    assert code == 0 and [json.loads(t)["parsed"]["n"] for t in out.splitlines()] == [1, 2]
    code, out, _ = run_cli(capsys, "tail", "--file", str(path), "--json", "--since", "1h")
    assert code == 0 and [json.loads(t)["parsed"]["n"] for t in out.splitlines()] == [2]
    code, _, err = run_cli(capsys, "tail", "--file", str(tmp_path / "nope"))
    assert code == 1 and err.endswith("nope: file not found\n")


def test_format_helpers():
    assert escape("a\nb\rc\x1bd\x7f\u0085", one_line=True) == "a\\nb\\rc\\x1bd\\x7f\\x85"
    line = make_line(
        event_id="1",
        timestamp=1_795_000_000_123,
        log_group="/aws/lambda/fn",
        stream="2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef",
        message="hello\n",
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_795_000_000))
    assert format_line(line) == f"{stamp}.123Z fn/[$LATEST]0123456789abcde hello"


# -- real processes and pipes --------------------------------------------------------------------


def spawn(*argv: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEWATCH_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return subprocess.Popen(
        [sys.executable, "-m", "edgewatch", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def read_line(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> bytes:
    """One line of the child's stdout, waiting at most ``timeout`` (then fail, never hang)."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            assert left > 0, f"no line from the child in {timeout}s (got {data!r})"
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 1)
                assert chunk, "the child closed stdout"
                data += chunk
        return data


def test_closed_pipe_exits_quietly(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("".join(record(f"r{i}", i) + "\n" for i in range(20_000)))  # > a pipe
    proc = spawn("tail", "--file", str(path), tmp_path=tmp_path)
    assert b"r0" in read_line(proc)
    proc.stdout.close()  # like `| head -1`
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b""


def test_follow_prints_appends_and_ends_cleanly_on_sigint(tmp_path):
    path = tmp_path / "live.jsonl"
    path.write_text(record("r0", 0) + "\n")
    proc = spawn("tail", "-f", "--file", str(path), "--json", tmp_path=tmp_path)
    try:
        assert json.loads(read_line(proc))["request_id"] == "r0"
        with path.open("a") as f:
            f.write(record("r1", 1) + "\n")
        assert json.loads(read_line(proc))["request_id"] == "r1"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and err == b""


def test_embedded_stack_tail_defaults_to_the_consumer_group_and_feeds_latency(tmp_path):
    """A fresh machine: no config, no credentials; ``tail -f`` follows the stack's consumers'
    groups, found from their event source mappings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "EDGEWATCH_")) and k != "XDG_CONFIG_HOME"
    }
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "x"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["EDGEWATCH_LOGS__POLL_INTERVAL"] = "0.5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgewatch", "tail", "-f", "--json", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    stats = LatencyStats(window_s=60)
    try:
        seen: list[dict] = []
        groups = {"/aws/lambda/edge-analytics-consumer", "/aws/lambda/edge-analytics-fifo-consumer"}
        while not (
            {o["log_group"] for o in seen} == groups
            and any(o["kind"] == "report" for o in seen)
            and any(o["parsed"] and o["parsed"].get("SentTimestamp") for o in seen)
        ):
            seen.append(json.loads(read_line(proc, timeout=60)))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and err == b""
    assert {o["log_group"] for o in seen} == groups
    for o in seen:
        stats.add(
            make_line(
                event_id=o["event_id"],
                timestamp=o["timestamp_ms"],
                log_group=o["log_group"],
                stream=o["log_stream"],
                message=o["message"],
            )
        )
    stats.tick(max(o["timestamp_ms"] for o in seen) / 1000)
    point = stats.series().last("latency")
    assert point is not None and point.count >= 1 and point.p50 is not None
    assert stats.series().last("queue_lag").count >= 1


def fresh_machine_env(tmp_path: Path) -> dict[str, str]:
    """No config, no credentials: the commands run on their own embedded stack."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "EDGEWATCH_")) and k != "XDG_CONFIG_HOME"
    }
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "x"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def test_one_shot_tail_and_latency_on_a_fresh_embedded_stack_say_why_they_are_empty(tmp_path):
    env = fresh_machine_env(tmp_path)
    edgewatch = [sys.executable, "-m", "edgewatch"]
    tail = subprocess.run(
        [*edgewatch, "tail", "--since", "5m", "--json", "--seed", "7"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert tail.returncode == 0 and tail.stdout == ""  # stdout: JSON lines only, here none
    assert "the embedded stack just started: no consumer logs yet" in tail.stderr
    assert len(tail.stderr.splitlines()) == 1
    latency = subprocess.run(
        [*edgewatch, "latency", "--json", "--seed", "7"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert latency.returncode == 0
    doc = json.loads(latency.stdout)
    assert doc["lines"] == 0 and doc["series"]["latency"] is None
    assert doc["reason"].startswith("the embedded stack just started: no consumer logs yet")
    plain = subprocess.run(
        [*edgewatch, "latency", "--seed", "7"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert plain.returncode == 0 and "invocations 0" in plain.stdout
    assert "the embedded stack just started" in plain.stderr
