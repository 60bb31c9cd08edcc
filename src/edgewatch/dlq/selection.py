"""Which DLQ messages a replay takes: all, the first N, chosen ids, or those matching filters.

Filter expressions (``--filter``, repeatable, all must match):

- ``$.path OP VALUE`` — a field of a JSON body (``$.detail.status >= 500``, ``$.tags[0] == "x"``);
  ``OP`` is one of ``== != > >= < <=``; ``VALUE`` is a JSON literal (``"text"``, ``42``, ``true``,
  ``null``) or a bare word. A message whose body is not JSON, or lacks the field, does not match.
- ``@Name == VALUE`` / ``@Name != VALUE`` — a message attribute's value (numbers compare as
  numbers); ``@Name`` alone: the attribute is present.
- anything else (or ``text:...`` to force it) — a case-sensitive substring of the body.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from edgewatch.dlq.models import DlqMessage

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_FIELD = re.compile(r"^\$((?:\.[^.\[\s=!<>]+|\[\d+\])+)\s*(==|!=|>=|<=|>|<)\s*(.*)$", re.S)
_ATTR = re.compile(r"^@([A-Za-z0-9_.\-]+)\s*(?:(==|!=)\s*(.*))?$", re.S)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


class FilterError(ValueError):
    """A filter expression that cannot be parsed, with what was expected."""


def _literal(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word is a string


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    """Numbers (or numeric strings against numbers) compare numerically; else same types only."""
    fn = _OPS[op]
    ln, rn = _number(left), _number(right)
    if (
        ln is not None
        and rn is not None
        and (not isinstance(left, str) or not isinstance(right, str))
    ):
        return fn(ln, rn)
    if op in ("==", "!="):
        return fn(left, right)
    if isinstance(left, str) and isinstance(right, str):
        return fn(left, right)
    return False


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """One parsed filter expression; :meth:`matches` is pure (no I/O)."""

    expression: str
    kind: str  # "text", "json", "attribute"
    path: tuple[str | int, ...] = ()
    name: str = ""
    op: str | None = None
    value: Any = None

    @classmethod
    def parse(cls, expression: str) -> MessageFilter:
        expr = expression.strip()
        if not expr:
            raise FilterError("empty filter")
        if expr.startswith("text:"):
            return cls(expression, "text", value=expr[5:])
        if expr.startswith("$"):
            m = _FIELD.match(expr)
            if not m:
                raise FilterError(
                    f"{expression!r}: expected $.field OP value, e.g. $.status >= 500 "
                    "(OP: == != > >= < <=)"
                )
            if not m.group(3).strip():  # "$.status >" is unfinished, not a match on ""
                raise FilterError(
                    f"{expression!r}: missing the value after {m.group(2)}, e.g. $.status >= 500 "
                    '(a string is quoted: $.kind == "click")'
                )
            path = tuple(int(idx) if idx else key for key, idx in _PATH_PART.findall(m.group(1)))
            return cls(expression, "json", path=path, op=m.group(2), value=_literal(m.group(3)))
        if expr.startswith("@"):
            m = _ATTR.match(expr)
            if not m:
                raise FilterError(f"{expression!r}: expected @Name == value or @Name != value")
            op = m.group(2)
            if op and not m.group(3).strip():
                raise FilterError(f"{expression!r}: missing the value after {op}")
            return cls(
                expression,
                "attribute",
                name=m.group(1),
                op=op,
                value=_literal(m.group(3)) if op else None,
            )
        return cls(expression, "text", value=expr)

    def matches(self, msg: DlqMessage) -> bool:
        if self.kind == "text":
            return str(self.value) in msg.body
        if self.kind == "attribute":
            attr = msg.attributes.get(self.name)
            if self.op is None:
                return attr is not None
            if attr is None:
                return self.op == "!="
            if attr.binary_value is not None:
                return (self.op == "==") == (attr.binary_value == str(self.value).encode())
            return _compare(attr.string_value or "", self.op, self.value)
        node = msg.json
        for part in self.path:
            in_list = isinstance(part, int) and isinstance(node, list) and part < len(node)
            in_dict = isinstance(part, str) and isinstance(node, dict) and part in node
            if in_list or in_dict:
                node = node[part]
            else:
                return False
        assert self.op is not None
        return _compare(node, self.op, self.value)


@dataclass(frozen=True)
class Selection:
    """What to replay. Empty means everything; the parts combine (ids ∧ filters, then ``limit``)."""

    limit: int | None = None
    message_ids: frozenset[str] | None = None
    filters: tuple[MessageFilter, ...] = field(default_factory=tuple)

    @classmethod
    def build(
        cls,
        *,
        limit: int | None = None,
        message_ids: Iterable[str] | None = None,
        filters: Iterable[str] = (),
    ) -> Selection:
        if limit is not None and limit < 1:
            raise FilterError("--max must be at least 1")
        ids = frozenset(message_ids) if message_ids is not None else None
        return cls(limit, ids, tuple(MessageFilter.parse(f) for f in filters))

    @property
    def is_all(self) -> bool:
        """Everything, unfiltered: the only selection a native move task can do."""
        return self.limit is None and self.message_ids is None and not self.filters

    def matches(self, msg: DlqMessage) -> bool:
        if self.message_ids is not None and msg.message_id not in self.message_ids:
            return False
        return all(f.matches(msg) for f in self.filters)

    def describe(self) -> str:
        parts = []
        if self.message_ids is not None:
            parts.append(f"{len(self.message_ids)} selected message(s)")
        parts.extend(f"matching {f.expression}" for f in self.filters)
        if self.limit is not None:
            parts.append(f"at most {self.limit}")
        return ", ".join(parts) if parts else "all messages"

    def to_json(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "message_ids": sorted(self.message_ids) if self.message_ids is not None else None,
            "filters": [f.expression for f in self.filters],
        }
