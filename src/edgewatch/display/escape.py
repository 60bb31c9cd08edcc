"""The one rule for text that came from outside edgewatch, on its way to a terminal.

Message bodies and attributes, message/group/request IDs, log lines, log group and stream names,
field values, queue names and the errors endpoints or the OS send back were written by someone
else. Before any of it reaches a terminal it goes through :func:`escape` (a ``str``) or
:func:`safe` (a ``rich.text.Text``, so Rich markup stays literal). Both are the same rule:

- C0 controls (``\\x00``-``\\x1f`` except tab and, outside ``one_line``, newline), DEL, and C1
  controls (``\\x80``-``\\x9f``: the 8-bit CSI ``\\x9b`` and NEL ``\\x85`` included) are shown
  as ``\\xNN`` (``\\n``, ``\\r`` by name): they cannot move the cursor, clear the screen, set
  the title or start an escape sequence.
- Bidi controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) are shown as ``\\uNNNN``: they
  cannot reorder what the operator reads.
- Line and paragraph separators (U+2028/U+2029) are shown as ``\\uNNNN``: a terminal or a
  ``splitlines()`` must not turn them into line breaks that were never there.
- Lone surrogates (possible after JSON decoding) are shown as ``\\uNNNN``: they cannot be
  encoded and would crash a print.

Nothing else is touched: tabs stay layout, and ordinary Unicode (accents, CJK, emoji) stays
readable. ``docs/hostile-input.md`` lists the renderers that use it; a test scans ``src/`` for
``Text(...)`` and table cells built around it.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
_UNSAFE_KEEP_NEWLINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}
ELLIPSIS = "…"


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object, *, limit: int | None = None, one_line: bool = False) -> str:
    """``value`` as text that is safe to print: see the module docstring for the rule.

    ``limit`` cuts the (raw) text to that many characters plus an ellipsis before escaping, so an
    escape sequence is never cut in half. ``one_line`` escapes newlines too (``\\n``), for list
    rows and columns; otherwise newlines are kept (detail panels, multi-line bodies).
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit)] + ELLIPSIS
    pattern = _UNSAFE if one_line else _UNSAFE_KEEP_NEWLINE
    return pattern.sub(_replace, text)


def escaped_lines(value: object) -> list[str]:
    """The text as display lines: escaped first, then split on ``\\n`` only.

    Splitting after escaping is what keeps NEL, U+2028 and U+2029 visible (as ``\\x85``,
    ``\\u2028``) instead of vanishing into a line break the way ``str.splitlines()`` makes them.
    """
    return escape(value).split("\n")


def is_unsafe(text: str) -> bool:
    """``text`` holds something :func:`escape` would change (besides a newline)."""
    return _UNSAFE_KEEP_NEWLINE.search(text) is not None


def safe(
    value: object,
    style: str = "",
    *,
    limit: int | None = None,
    one_line: bool = False,
    **text_options: Any,
) -> Text:
    """A ``rich.text.Text`` of the escaped value: never parsed as markup, never raw controls.

    The one way outside text becomes a table cell, a title, a notification or a panel body.
    """
    return Text(escape(value, limit=limit, one_line=one_line), style=style, **text_options)


def append_safe(
    text: Text,
    value: object,
    style: str = "",
    *,
    limit: int | None = None,
    one_line: bool = False,
) -> Text:
    """Append the escaped ``value`` to ``text`` (in place) and return ``text``."""
    text.append(escape(value, limit=limit, one_line=one_line), style=style)
    return text
