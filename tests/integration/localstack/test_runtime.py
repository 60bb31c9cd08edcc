"""The LocalStack runner itself: loopback only, and stopped by PID even when it hangs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.localstack import LocalStack, group_members, listening_addresses


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
