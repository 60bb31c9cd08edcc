"""`edgewatch status` on the embedded stack, as a new user runs it: a real subprocess, no config."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.support.env import clean_env


def test_status_json_on_a_fresh_machine_starts_the_embedded_stack(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "edgewatch", "status", "--json", "--seed", "7"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # nothing from moto, werkzeug or botocore
    queues = json.loads(proc.stdout)
    by_name = {q["name"]: q for q in queues}
    assert len(queues) >= 4
    assert {"edge-analytics", "edge-analytics-dlq", "edge-analytics.fifo"} <= set(by_name)
    for q in queues:
        assert q["error"] is None
        for key in ("visible", "in_flight", "delayed"):
            assert isinstance(q[key], int)
    assert by_name["edge-analytics"]["dlq"]["name"] == "edge-analytics-dlq"
    assert by_name["edge-analytics.fifo"]["dlq"]["name"] == "edge-analytics-dlq.fifo"
    assert by_name["edge-analytics-dlq"]["dlq"] is None
    for q in queues:  # every queue carries its forecast; one poll: no depth-delta rate yet
        assert isinstance(q["retention_s"], float) and isinstance(q["updated_at"], float)
        forecast = q["forecast"]
        assert {"drain_eta_s", "loss_eta_s", "dlq_inflow_per_s", "dlq_expiry_s"} <= set(forecast)
        assert forecast["backlog"] == q["visible"] + q["in_flight"] + q["delayed"]
        assert forecast["rate_source"] != "estimated" or forecast["net_per_s"] is None


@pytest.mark.slow
def test_status_watch_shows_the_dlq_filling_and_an_age_within_90s(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgewatch", "status", "--json", "--watch", "--seed", "7"],
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    seen = None
    try:
        for line in proc.stdout:
            snapshot = {q["name"]: q for q in json.loads(line)}
            dlq = snapshot["edge-analytics"]["dlq"]
            if dlq["visible"] > 0 and isinstance(dlq["oldest_age_s"], float | int):
                seen = snapshot
                break
            assert time.monotonic() < deadline, f"DLQ still empty after 90 s: {snapshot}"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert seen is not None
    assert isinstance(seen["edge-analytics"]["oldest_age_s"], float | int)
    assert proc.returncode == 0
    assert err == ""


def test_status_down_reports_the_error_once_on_stderr(tmp_path):
    """A one-shot table used to end with "error: …" on stdout and the same line on stderr:
    the operator read every failure twice. The refreshing table (--watch) keeps its footer."""
    proc = subprocess.run(
        [sys.executable, "-m", "edgewatch", "status", "--endpoint-url", "http://127.0.0.1:9"],
        env={**clean_env(tmp_path), "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no AWS credentials" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgewatch: no AWS credentials"), proc.stderr
