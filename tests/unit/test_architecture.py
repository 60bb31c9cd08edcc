"""The core stays free of Textual: only ``edgewatch.tui`` may import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "edgewatch"


def test_no_module_outside_tui_imports_textual():
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tui" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(SRC)}: {n}"
                for n in names
                if n.split(".")[0] in ("textual", "textual_plotext")
            ]
    assert not offenders, offenders


def test_core_modules_import_without_loading_textual():
    modules = [
        p.relative_to(SRC.parent).with_suffix("").as_posix().replace("/", ".")
        for p in SRC.rglob("*.py")
        if "tui" not in p.relative_to(SRC).parts and p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# Which edgewatch packages each one may import (the table in docs/architecture.md). ``dlq``
# covers ``dlq/replay`` too; a module at the top (``config.py``) is a unit of its own.
MAY_IMPORT: dict[str, set[str]] = {
    "identifiers": set(),
    "display": set(),
    "config": {"identifiers"},
    "aws": {"config", "identifiers"},
    "metrics": {"aws", "config", "identifiers"},
    "logs": {"aws", "config", "identifiers", "runtime"},  # runtime: tail_for_runtime's type only
    "dlq": {"aws", "config", "identifiers"},
    "simulator": {"aws", "config", "identifiers"},
    "send": {"aws", "config", "identifiers", "simulator"},  # simulator.events: the templates
    "runtime": {"aws", "config", "simulator"},  # the embedded stack, started on demand
    "commands": {
        "aws",
        "config",
        "identifiers",
        "display",
        "metrics",
        "logs",
        "dlq",
        "send",
        "simulator",
        "runtime",
    },
    "tui": {
        "aws",
        "config",
        "identifiers",
        "display",
        "metrics",
        "logs",
        "dlq",
        "send",
        "runtime",
    },
    "cli": {"commands", "config", "runtime", "tui"},
    "__main__": {"cli"},
    "__init__": set(),
}
# Third-party packages only one layer may import: the UI toolkit, the AWS SDK, the simulator.
ONLY_IN: dict[str, set[str]] = {
    "textual": {"tui"},
    "textual_plotext": {"tui"},
    "aiobotocore": {"aws"},
    "moto": {"simulator"},
    "pydantic_settings": {"config"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _unit(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0].removesuffix(".py")


def test_every_package_imports_only_the_layers_below_it():
    offenders = []
    for path in SRC.rglob("*.py"):
        unit = _unit(path)
        allowed = MAY_IMPORT.get(unit)
        assert allowed is not None, f"{unit}: a new package needs its row in MAY_IMPORT"
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "edgewatch" and len(parts) > 1:
                if parts[1] != unit and parts[1] not in allowed:
                    offenders.append(f"{path.relative_to(SRC)} imports {name}")
            elif parts[0] in ONLY_IN and unit not in ONLY_IN[parts[0]]:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert not offenders, offenders


def test_the_table_has_no_cycle():
    """A layer never depends, even indirectly, on itself."""

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for dep in MAY_IMPORT.get(start, set()):
            if dep == target or (dep not in seen and reaches(dep, target, seen | {dep})):
                return True
        return False

    assert [u for u in MAY_IMPORT if reaches(u, u, set())] == []
