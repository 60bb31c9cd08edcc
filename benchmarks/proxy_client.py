"""What the fleet benchmarks share: starting a helper process that announces its URL, and
reading the counting proxy (``counting_proxy.py``) while it runs."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spawn(cmd: list[str], key: str, timeout: float = 120) -> tuple[subprocess.Popen[str], str]:
    """Start ``cmd`` (from the repo root) and wait for its ``key=value`` line on stdout."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(f"{key}="):
            return proc, line.strip().split("=", 1)[1]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"{cmd[:3]}: no {key}= line")


def post(url: str, body: bytes = b"") -> None:
    urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10)


def counts(proxy: str) -> dict[str, int]:
    """The proxy's calls so far, by API operation."""
    with urllib.request.urlopen(f"{proxy}/_counts", timeout=10) as resp:
        return json.loads(resp.read())


def reset(proxy: str) -> None:
    post(f"{proxy}/_reset")


def busiest_minute(samples: list[tuple[float, int]]) -> int | None:
    """The most calls between two ``(time, total calls)`` samples at most 60 s apart."""
    best = None
    for i, (t0, c0) in enumerate(samples):
        for t1, c1 in samples[i + 1 :]:
            if t1 - t0 > 60:
                break
            best = max(best or 0, c1 - c0)
    return best
