"""JSON from outside, parsed and printed without the risk of crashing whoever shows it.

A message body or a log line nested thousands deep (``[[[[...]]]]``) makes ``json.loads`` or
``json.dumps`` raise ``RecursionError``, and anything that walks the value recursively may do
the same later. Every parse of outside JSON goes through :func:`loads`, which refuses values
nested deeper than :data:`MAX_DEPTH` with :class:`JsonTooDeep` (a ``ValueError``, so existing
"not JSON" handling applies), and every pretty-print goes through :func:`dumps`. The caller then
shows the text as text and says why (:attr:`JsonTooDeep.reason`).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 100  # real payloads stay far below; deeper is shown as text


class JsonTooDeep(ValueError):
    """The JSON is nested deeper than the display limit (or than Python's recursion allows)."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return f"nested deeper than {self.limit} levels: shown as text"


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists/dicts deeper than ``limit`` (iterative: cannot recurse)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises :class:`JsonTooDeep` instead of nesting past ``max_depth``."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if depth_exceeds(value, max_depth):
        raise JsonTooDeep(max_depth)
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that raises :class:`JsonTooDeep` instead of ``RecursionError``."""
    try:
        return json.dumps(value, **options)
    except RecursionError:
        raise JsonTooDeep() from None
