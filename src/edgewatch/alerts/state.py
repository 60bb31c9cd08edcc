"""Alert state between runs: ``watch --alerts --once`` from cron keeps its cooldowns.

Each cron run is a new process; without this, every run would find "a new crossing" and post
the webhook again, every minute. The engine's episodes (what fires since when: hysteresis) and
its cooldowns are kept in one small JSON file, by default ``$XDG_STATE_HOME/edgewatch/alerts.json``
(``~/.local/state/edgewatch/alerts.json``), ``alerts.state_file`` or ``--state-file`` to move it.

- Writes are atomic (a temporary file in the same folder, then ``os.replace``): a run killed
  mid-write leaves the previous state, never half a file. Two runs that overlap: the last one to
  finish wins, which at worst repeats one notification.
- A missing file is a fresh start, silently. A file that cannot be read or parsed is one warning
  line and a fresh start (the next save replaces it), never a crash.
- Nothing secret is in it: queue URLs, alert kinds, summaries and times.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from edgewatch.alerts.engine import AlertEngine

FILE_NAME = "alerts.json"
MAX_BYTES = 16 * 1024 * 1024  # a fleet's worth of episodes; anything larger is not ours


def default_state_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/edgewatch/alerts.json``, ``~/.local/state`` when it is not set."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "edgewatch" / FILE_NAME


class AlertStateFile:
    """Loads an engine's state from ``path`` and saves it back when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._saved: str | None = None

    def load(self, engine: AlertEngine) -> str | None:
        """Restore ``engine`` from the file; a warning line when it had to start fresh."""
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
            text = self.path.read_text(encoding="utf-8")
            engine.restore_state(json.loads(text))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is one
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return (
                f"alert state file {self.path} is unreadable ({reason.splitlines()[0]}); "
                "starting with a fresh alert state"
            )
        self._saved = text
        return None

    def save(self, engine: AlertEngine) -> str | None:
        """Write the state if it changed since the last load or save; a warning line on failure."""
        text = json.dumps(engine.export_state(), sort_keys=True)
        if text == self._saved:
            return None
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".alerts-", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            tmp = None
        except OSError as exc:
            return f"alert state not saved to {self.path}: {exc.strerror or exc}"
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._saved = text
        return None
