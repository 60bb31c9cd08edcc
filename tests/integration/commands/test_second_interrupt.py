"""A second Ctrl-C in ``send`` and ``replay``: stop at once, still print the summary (``--json``
too), exit 130, never a traceback. Real SIGINTs to the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.sqs import body_of, depth, drain, fill
from tests.support.waiting import wait_until


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEWATCH_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


def _hang_after(calls: int, operation: str):
    """A proxy rule: the first ``calls`` ``operation`` requests go through, the rest hang."""
    seen = {"n": 0}

    def rule(req):
        if req.operation != operation:
            return None
        seen["n"] += 1
        return "hang" if seen["n"] > calls else None

    return rule


def hung(proxy) -> bool:
    """Two batches sent and deleted, the third send under way (and hanging)."""
    ops = [r.operation for r in list(proxy.seen)]
    return ops.count("SendMessageBatch") >= 3 and ops.count("DeleteMessageBatch") >= 2


def _interrupt_twice(proc: subprocess.Popen[bytes], err_file: Path, first_said: bytes) -> None:
    proc.send_signal(signal.SIGINT)
    wait_until(lambda: first_said in err_file.read_bytes(), 30, "the first Ctrl-C's message")
    proc.send_signal(signal.SIGINT)


def test_second_ctrl_c_in_send_prints_the_json_summary_and_exits_130(
    proxy, boto3_sqs, pair, tmp_path
):
    proxy.rules.append(_hang_after(3, "SendMessageBatch"))  # then the endpoint stops answering
    err_file = tmp_path / "stderr"
    cmd = [
        sys.executable, "-m", "edgewatch", "send", "--queue", pair.source_url,
        "--count", "5000", "--json", "--endpoint-url", proxy.endpoint_url,
        "--region", "us-east-1",
    ]  # fmt: skip
    with err_file.open("wb") as err:
        proc = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=err)
        try:
            wait_until(lambda: depth(boto3_sqs, pair.source_url)[0] > 0, 60, "events to land")
            _interrupt_twice(proc, err_file, b"cancelling: waiting for the events")
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err_file.read_bytes()
    assert proc.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr and b"CancelledError" not in stderr
    doc = json.loads(out)
    assert doc["cancelled"] is True
    assert doc["sent"] == depth(boto3_sqs, pair.source_url)[0] > 0


def test_second_ctrl_c_in_replay_prints_the_summary_and_loses_nothing(
    proxy, boto3_sqs, pair, tmp_path
):
    bodies = sorted(f"m{i:03d}" for i in range(40))
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": b} for b in bodies))
    proxy.rules.append(_hang_after(2, "SendMessageBatch"))
    err_file = tmp_path / "stderr"
    cmd = [
        sys.executable, "-m", "edgewatch", "replay", pair.dlq_url, "--yes", "--json",
        "--concurrency", "1", "--visibility-timeout", "30",
        "--endpoint-url", proxy.endpoint_url, "--region", "us-east-1",
    ]  # fmt: skip
    with err_file.open("wb") as err:
        proc = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=err)
        try:
            wait_until(lambda: hung(proxy), 60, "two batches moved, the third one hanging")
            _interrupt_twice(proc, err_file, b"cancelling: finishing the batches in flight")
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err_file.read_bytes()
    assert proc.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr and b"CancelledError" not in stderr
    doc = json.loads(out)
    assert doc["cancelled"] is True and doc["moved"] == 20, json.dumps(doc)
    # nothing lost: every body is in the target or (given back at once) in the DLQ
    wait_until(lambda: depth(boto3_sqs, pair.dlq_url)[1] == 0, 10, "leases given back")
    in_target = [body_of(m) for m in drain(boto3_sqs, pair.source_url)]
    in_dlq = [body_of(m) for m in drain(boto3_sqs, pair.dlq_url)]
    assert set(in_target) | set(in_dlq) == set(bodies)
