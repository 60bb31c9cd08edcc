"""Nothing but the UI reaches the terminal: the real console in a pseudo-terminal, embedded stack.

moto/werkzeug request logs, botocore warnings or a traceback written to the terminal would tear
the screen apart; this runs `python -m edgewatch` as an operator would and reads every byte.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from tests.support.env import clean_env

LEAKS = (b"Traceback", b'HTTP/1.1" ', b"WARNING", b"werkzeug", b"Exception", b"Error:")


def read_until(fd: int, needle: bytes, timeout: float, buf: bytearray) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return needle in buf
            if not chunk:
                return needle in buf
            buf += chunk
            if needle in buf:
                return True
    return False


def test_console_on_the_embedded_stack_draws_only_the_ui(tmp_path):
    master, slave = pty.openpty()
    env = clean_env(tmp_path) | {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgewatch", "--seed", "3"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = bytearray()
    try:
        # the queue table with the embedded stack's queues, then a few polls
        assert read_until(master, b"edge-analytics-dlq", 60, out), out[-2000:]
        assert read_until(master, b"EMBEDDED LOCAL STACK", 10, out) or b"EMBEDDED" in out
        read_until(master, b"\x00never", 4, out)  # let several polls and the pipeline run
        os.write(master, b"q")
        read_until(master, b"\x00never", 1, out)
        proc.wait(timeout=20)
        read_until(master, b"\x00never", 0.5, out)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 0
    for leak in LEAKS:
        assert leak not in out, f"{leak!r} reached the terminal"
