"""The console in a real pseudo-terminal: spawn it, read what it draws, judge the terminal state.

For tests that must see what an operator's terminal sees after the process ends (alternate
screen left, mouse reporting off, cursor shown), which Pilot cannot: Pilot has no terminal.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_PRIVATE_MODE = re.compile(rb"\x1b\[\?([\d;]+)([hl])")
ALT_SCREEN = 1049
CURSOR_VISIBLE = 25
MOUSE_MODES = (1000, 1002, 1003, 1006, 1015)


@dataclass
class PtyConsole:
    """``python -m edgewatch ARGS`` with a pty as its terminal; ``out`` collects every byte."""

    proc: subprocess.Popen[bytes]
    master: int
    out: bytearray = field(default_factory=bytearray)

    @classmethod
    def spawn(cls, args: list[str], env: dict[str, str], cwd: Path) -> PtyConsole:
        master, slave = pty.openpty()
        env = env | {"TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "edgewatch", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,  # its own session: the pty is its controlling terminal
        )
        os.close(slave)
        return cls(proc, master)

    def read_until(self, needle: bytes, timeout: float) -> bool:
        """Read until ``needle`` shows up in the new output or ``timeout`` passes."""
        start = len(self.out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.out[max(0, start - len(needle)) :]:
                return True
            if not self._read(0.1):
                return needle in self.out[start:]
        return needle in self.out[start:]

    def drain(self, timeout: float) -> None:
        """Read until the process has ended and the pty is empty, at most ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.1) and self.proc.poll() is not None:
                return

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def _read(self, wait: float) -> bool:
        """One read; False once the pty is closed (the process ended)."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        self.out += chunk
        return True

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self.master)


def final_modes(out: bytes) -> dict[int, bool]:
    """Each DEC private mode's last state in ``out`` (True: set with ``h``, False: reset)."""
    modes: dict[int, bool] = {}
    for params, action in _PRIVATE_MODE.findall(out):
        for part in params.split(b";"):
            if part:
                modes[int(part)] = action == b"h"
    return modes


def terminal_restored(out: bytes) -> list[str]:
    """What is still wrong with the terminal after ``out`` (empty: as the shell had it)."""
    modes = final_modes(out)
    wrong = []
    if modes.get(ALT_SCREEN, False):
        wrong.append("still in the alternate screen")
    if not modes.get(CURSOR_VISIBLE, True):
        wrong.append("cursor hidden")
    wrong.extend(f"mouse mode {m} still on" for m in MOUSE_MODES if modes.get(m, False))
    return wrong
