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
# covers ``dlq/replay`` too; a module at the top (``config.py``) is a unit of its own. Imports
# made only for type hints or inside a function count too: this is what a package depends on.
MAY_IMPORT: dict[str, set[str]] = {
    "identifiers": set(),
    "safe_json": set(),
    "display": set(),
    "config": {"identifiers", "logs"},  # logs.formats.mapping: the [logs] field-map type
    "aws": {"config", "identifiers"},
    "forecast": {"config", "metrics"},
    "metrics": {"aws", "config", "identifiers", "forecast", "fleet"},  # fleet: a type only
    "fleet": {"aws", "config", "identifiers", "forecast", "metrics"},
    "alerts": {"config", "display", "forecast", "metrics"},
    "consumers": {"aws", "config", "identifiers", "runtime"},
    "logs": {"aws", "config", "identifiers", "consumers", "runtime", "safe_json", "display"},
    "dlq": {"aws", "config", "identifiers", "display", "safe_json"},
    "capabilities": {"aws", "dlq"},
    "simulator": {"aws", "config", "identifiers", "safe_json"},
    "send": {"aws", "config", "identifiers", "simulator", "display", "safe_json"},
    "runtime": {"aws", "config", "consumers", "simulator"},  # the stack, started on demand
    "commands": {
        "aws",
        "config",
        "identifiers",
        "display",
        "metrics",
        "fleet",
        "forecast",
        "alerts",
        "consumers",
        "logs",
        "dlq",
        "capabilities",
        "send",
        "simulator",
        "runtime",
        "safe_json",
    },
    "tui": {
        "aws",
        "config",
        "identifiers",
        "display",
        "metrics",
        "fleet",
        "forecast",
        "alerts",
        "consumers",
        "logs",
        "dlq",
        "capabilities",
        "send",
        "runtime",
        "safe_json",
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


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _loaded_at_import(path: Path, modules: set[str]) -> set[str]:
    """The edgewatch modules ``path`` imports when it is imported (not for type hints only,
    not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        statements = node.body if isinstance(node, ast.Try) else [node]
        for stmt in statements:
            if isinstance(stmt, ast.Import):
                found.update(a.name for a in stmt.names)
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                found.add(stmt.module)
                found.update(f"{stmt.module}.{a.name}" for a in stmt.names)
    return found & modules


def test_no_import_cycle_between_modules():
    """Packages may lean on each other's leaf modules (metrics on forecast.model, forecast.book
    on metrics.models), but no module needs itself, even indirectly, to be imported."""
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {m: _loaded_at_import(p, set(paths)) - {m} for m, p in paths.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []
