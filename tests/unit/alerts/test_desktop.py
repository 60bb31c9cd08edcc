"""Desktop notifications: which escape for which terminal, and a payload that cannot escape."""

from __future__ import annotations

import pytest

from edgewatch.alerts.desktop import desktop_protocol, desktop_sequence, detect, osc_payload
from edgewatch.config import AlertSettings

HOSTILE = "orders\x1b]0;pwned\x07\x1b[2J\x9b31m\x9d8;;http://x\x9c;rm\u202e\u2028\x00end"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TERM_PROGRAM": "iTerm.app"}, "osc9"),
        ({"TERM": "xterm-kitty"}, "osc9"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "osc9"),
        ({"TERM": "xterm-256color", "WT_SESSION": "abc"}, "osc9"),
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "rxvt-unicode-256color"}, "osc777"),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, "osc777"),
        ({"TERM": "xterm-256color"}, None),
        ({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux-1/default,1,0"}, None),
        ({"TERM": "screen-256color", "STY": "1.pts"}, None),
        ({}, None),
    ],
)
def test_auto_detects_from_what_the_terminal_says(env, expected):
    assert detect(env) == expected
    assert desktop_protocol(env, "auto") == expected
    assert desktop_protocol(env, "off") is None


def test_a_forced_protocol_is_sent_and_wrapped_for_tmux_passthrough():
    tmux = {"TMUX": "/tmp/tmux-1/default,1,0", "TERM": "tmux-256color"}
    assert desktop_protocol(tmux, "osc777") == "osc777"
    assert desktop_sequence("osc777", "orders: depth 6", tmux) == (
        "\x1bPtmux;\x1b\x1b]777;notify;edgewatch;orders: depth 6\x1b\x1b\\\x1b\\"
    )
    plain = {"TERM": "xterm"}
    assert desktop_sequence("osc9", "orders: depth 6", plain) == (
        "\x1b]9;edgewatch: orders: depth 6\x1b\\"
    )


def test_the_payload_keeps_printable_text_only_and_no_separator():
    out = osc_payload(HOSTILE)
    assert out.isprintable() and ";" not in out
    assert out.startswith("orders ]0,pwned [2J 31m 8,,http://x ,rm")
    assert out.endswith("end")
    assert osc_payload("é 東京 🚀 tab\tnew\nline") == "é 東京 🚀 tab new line"
    long = osc_payload("x" * 500)
    assert len(long) == 200 and long.endswith("…")


@pytest.mark.parametrize("protocol", ["osc9", "osc777"])
def test_a_hostile_body_cannot_end_or_start_a_sequence(protocol):
    seq = desktop_sequence(protocol, HOSTILE, {"TERM": "foot"})
    assert seq.count("\x1b") == 2 and seq.startswith("\x1b]") and seq.endswith("\x1b\\")
    inner = seq[2:-2]
    assert inner.isprintable()
    fields = inner.split(";")
    assert len(fields) == (2 if protocol == "osc9" else 4)


def test_the_setting_accepts_the_older_true_false():
    assert AlertSettings(desktop=True).desktop == "auto"  # type: ignore[arg-type]
    assert AlertSettings(desktop=False).desktop == "off"  # type: ignore[arg-type]
    assert AlertSettings(desktop="osc9").desktop == "osc9"
    with pytest.raises(ValueError):
        AlertSettings(desktop="osc99")  # type: ignore[arg-type]
