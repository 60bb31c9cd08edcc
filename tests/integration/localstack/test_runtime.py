"""The LocalStack runner itself: loopback only, and stopped by PID even when it hangs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.localstack import LocalStack, group_members, listening_addresses
from tests.support.waiting import wait_until


def test_any_address_but_loopback_is_refused() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.10", "localhost"):
        with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
            LocalStack(python=Path("/nonexistent"), host=host)


def test_a_hung_localstack_is_killed_and_leaves_nothing(localstack_session: LocalStack) -> None:
    """A second instance, frozen with SIGSTOP so SIGTERM cannot end it: stop() must SIGKILL
    its process group after the grace period, and nothing of it may remain."""
    stack = LocalStack(localstack_session.python)
    stack.start()
    pid = stack.pid
    assert pid is not None
    assert listening_addresses(pid) == {f"127.0.0.1:{stack.port}"}
    scratch = stack.scratch
    os.kill(pid, signal.SIGSTOP)
    stack.stop(grace_s=1.0)
    assert group_members(pid) == []
    assert not os.path.exists(f"/proc/{pid}")
    assert scratch is not None and not scratch.exists()
    stack.stop()  # a second stop is harmless


def test_a_killed_parent_takes_localstack_with_it(localstack_session: LocalStack) -> None:
    """A test session killed outright (no teardown) must not leave LocalStack running."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.support.localstack import LocalStack\n"
        "stack = LocalStack(Path(sys.argv[1]))\n"
        "stack.start()\n"
        "print(stack.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(localstack_session.python)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert group_members(child) != []
    finally:
        parent.kill()
        parent.wait()
    wait_until(lambda: group_members(child) == [], timeout=10, what="LocalStack to die")
