"""Hostile strings for the generated suite, and the checks every rendered output must pass.

The generator mixes what a hostile (or just broken) environment sends: every C0 and C1 control
(the 8-bit CSI ``\\x9b`` and NEL included), DEL, ANSI/OSC sequences that clear the screen or set
the title, bidi overrides and isolates, line and paragraph separators, lone surrogates, Rich
markup, JSON nested past any sane depth, and sizes far beyond a screen. Runs are derandomized
with a fixed example budget (:data:`HOSTILE`), so a CI failure reproduces exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Derandomized: the same examples on every run and machine; a fixed budget keeps the suite
# well under a minute on CI's two cores.
HOSTILE = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HOSTILE_SLOW = settings(HOSTILE, max_examples=20)  # examples that cost real AWS calls

C0 = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]
SEPARATORS = ["\u2028", "\u2029", "\x85"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
SEQUENCES = [
    "\x1b[2J\x1b[H", "\x1b]0;TITLE\x07", "\x1b]0;TITLE\x1b\\", "\x1b[31mred\x1b[0m",
    "\x9b2J", "\x1b[?1049h", "\x1b[?25l", "\x1bP+q\x1b\\", "\x1b]8;;http://x\x1b\\link",
]  # fmt: skip
MARKUP = [
    "[bold red]",
    "[/]",
    "[/bold red]",
    "[link=http://evil]",
    "[reverse]",
    "\\[x]",
    "[@click=quit]",
]
FRAGMENTS = [*C0, "\x7f", *C1, *BIDI, *SEPARATORS, *SURROGATES, *SEQUENCES, *MARKUP]

fragments = st.sampled_from(FRAGMENTS)
plain = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], max_codepoint=0x2FFF), max_size=8
)
hostile_text = st.lists(st.one_of(fragments, plain), min_size=1, max_size=12).map("".join)
huge_text = st.sampled_from(["x" * 200_000, "\x1b[2J" * 20_000, "[b]" * 30_000])
any_hostile = st.one_of(hostile_text, hostile_text, hostile_text, huge_text)
depths = st.sampled_from([99, 101, 1_000, 5_000, 20_000])
deep_json = st.builds(
    lambda n, kind: ("[" * n + "]" * n) if kind else ('{"a":' * n + "1" + "}" * n),
    depths,
    st.booleans(),
)


def json_body(request_id: str, text: str) -> str:
    """A JSON body whose values carry the hostile text (escaped on the wire: valid for SQS)."""
    return json.dumps({"request_id": request_id, "message": text, "level": text[:10]})


bodies = st.one_of(
    deep_json,
    st.builds(json_body, hostile_text, any_hostile),
    hostile_text,
)

# What must never reach a terminal raw.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)


def forbidden(output: str) -> list[str]:
    """The distinct forbidden characters in ``output`` (``U+XXXX``), empty when clean."""
    return sorted({f"U+{ord(c):04X}" for c in _FORBIDDEN.findall(output)})


def assert_clean(output: str, where: str = "") -> None:
    bad = forbidden(output)
    assert not bad, f"{where}: {bad} reached the output"


def sqs_safe(text: str) -> str:
    """What SQS accepts as a string value (XML chars): hostile controls as JSON-escaped text."""
    return (
        json.dumps(text)[1:-1]
        if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", text)
        else text
    )


def render_plain(renderable: Any, width: int = 200) -> str:
    """What a terminal would receive for ``renderable``, minus Rich's own styling escapes."""
    from rich.console import Console

    console = Console(width=width, color_system=None, force_terminal=False, record=True)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()
