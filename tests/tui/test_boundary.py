"""The layering rule, the other direction: the TUI renders and dispatches, it holds no AWS code.

(``tests/core/test_architecture.py`` checks that nothing outside ``tui/`` imports Textual.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import edgewatch

PACKAGE = Path(edgewatch.__file__).parent
AWS_LIBRARIES = {"boto3", "botocore", "aiobotocore", "aiohttp", "httpx"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_tui_holds_no_aws_client_code() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted((PACKAGE / "tui").rglob("*.py"))
        if imported_roots(path) & AWS_LIBRARIES
    ]
    assert offenders == []
