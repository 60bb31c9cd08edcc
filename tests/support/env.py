"""The environment of a fresh machine, for tests that run edgewatch as a subprocess."""

from __future__ import annotations

import os
from pathlib import Path


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No config, no AWS credentials: what a fresh machine has."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "EDGEWATCH_")) and k != "XDG_CONFIG_HOME"
    }
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env
