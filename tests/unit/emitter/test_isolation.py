"""The emitter is a library services embed: it loads nothing of the console or its stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import edgewatch_emitter

PACKAGE = Path(edgewatch_emitter.__file__).parent
FORBIDDEN = ("textual", "plotext", "aiobotocore", "pydantic_settings", "moto", "edgewatch", "httpx")


def test_importing_every_emitter_module_loads_none_of_the_console() -> None:
    modules = sorted(
        f"edgewatch_emitter.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"
    )
    code = (
        "import importlib, sys\n"
        "import edgewatch_emitter\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(' '.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []
    assert {"edgewatch_emitter.asgi", "edgewatch_emitter.wsgi"} <= set(modules)


def test_no_emitter_module_imports_the_console() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "edgewatch"]
    assert offenders == []
