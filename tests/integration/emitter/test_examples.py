"""The examples run as documented and their events reach (a local) SQS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("name", "events"),
    [("fastapi_app", 3), ("flask_app", 3), ("lambda_handler", 3), ("asgi_app", 4)],
)
def test_example_runs_and_delivers(name: str, events: int) -> None:
    done = subprocess.run(
        [sys.executable, f"{name}.py"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    delivered = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(delivered) == events, done.stdout
    assert all("client_disconnected" not in event for event in delivered)
