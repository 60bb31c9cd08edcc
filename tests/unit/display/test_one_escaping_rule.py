"""The escaping rule has one home and no way around it in ``src/``.

Outside text reaches a terminal through :mod:`edgewatch.display.escape` only. This scans the
source so that a new renderer cannot build a Rich ``Text``, append to one, or fill a table cell
from a raw value (the hole ``dlq list``'s Request ID and Group columns had), and so that no
second escaping rule appears next to the first one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import edgewatch

SRC = Path(edgewatch.__file__).parent
RULE = Path("display/escape.py")
SKIP = ("emitter",)  # no terminal output: a library for the edge


def _modules() -> list[tuple[Path, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in SKIP or rel == RULE:
            continue
        out.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _is_literal(node: ast.expr) -> bool:
    """A string literal, or a module constant (``UPPER_CASE``): text edgewatch wrote itself."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.IfExp):
        return _is_literal(node.body) and _is_literal(node.orelse)
    return isinstance(node, ast.Name) and node.id.isupper()


def _raw_value(node: ast.expr) -> bool:
    """A value passed through as-is: a name, attribute, item, ``a or b`` — not built here."""
    if isinstance(node, ast.BoolOp):
        return any(_raw_value(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _raw_value(node.body) or _raw_value(node.orelse)
    if isinstance(node, ast.Name):
        return not node.id.isupper()
    if isinstance(node, ast.JoinedStr):  # f"{msg.body}": a raw value inside an f-string
        return any(
            isinstance(v, ast.FormattedValue)
            and v.format_spec is None
            and _raw_value(v.value)
            and not _numeric(v.value)
            for v in node.values
        )
    return isinstance(node, ast.Attribute | ast.Subscript)


NUMERIC_HINTS = ("count", "moved", "failed", "skipped", "total", "done", "emitted", "sent",
                 "requested", "dropped", "would_move", "duplicated", "unmatched", "held",
                 "window", "estimated", "replay_count", "receive_count", "attempts", "line",
                 "shown", "new", "index", "size", "given_back")  # fmt: skip


def _numeric(node: ast.expr) -> bool:
    """``{result.moved}``, ``{len(x)}``: counts edgewatch computed (no text from outside)."""
    if isinstance(node, ast.Call):
        return True
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in NUMERIC_HINTS or name.endswith(("_s", "_ms", "_count"))


def _text_names(func: ast.AST) -> set[str]:
    """Local names bound to a Rich ``Text`` in this function."""
    names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            callee = node.value.func
            called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
            if called in ("Text", "safe", "assemble"):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_text_is_built_from_literals_only_everything_else_through_safe() -> None:
    bad = [
        f"{rel}:{node.lineno}: {ast.unparse(node)[:90]}"
        for rel, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Text"
        and node.args
        and not _is_literal(node.args[0])
    ]
    assert not bad, "use edgewatch.display.escape.safe() for computed text:\n" + "\n".join(bad)


def test_nothing_raw_is_appended_to_a_text() -> None:
    bad = []
    for rel, tree in _modules():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            texts = _text_names(func)
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in texts
                    and node.args
                    and _raw_value(node.args[0])
                ):
                    bad.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:90]}")
    assert not bad, "append escape(value), not the value itself:\n" + "\n".join(bad)


def test_table_cells_are_never_raw_strings() -> None:
    bad = [
        f"{rel}:{node.lineno}: {ast.unparse(node)[:90]}"
        for rel, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_row"
        and any(_raw_value(arg) or isinstance(arg, ast.JoinedStr) for arg in node.args)
    ]
    assert not bad, "table cells are safe(...) Text, never str:\n" + "\n".join(bad)


def test_there_is_one_escaping_rule() -> None:
    """No second escaping function, and no control-character class outside the rule's module."""
    bad = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (
                "escape" in node.name or node.name in ("safe_text", "literal_text")
            ):
                bad.append(f"{rel}:{node.lineno}: def {node.name}")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "\x1b" not in node.value
                and ("\x7f-\x9f" in node.value or "\x0b-\x1f" in node.value)
            ):
                bad.append(f"{rel}:{node.lineno}: a control-character class")
    assert not bad, "escaping belongs to edgewatch.display.escape:\n" + "\n".join(bad)
