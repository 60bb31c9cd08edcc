"""Desktop notifications through the terminal: which escape, and a payload that cannot break out.

Two escapes exist, and a terminal that knows neither may print one as garbage, so ``auto`` only
sends one where the terminal says who it is:

- **OSC 9** ``ESC ] 9 ; text ST``: iTerm2, WezTerm, Ghostty, kitty, VS Code, Windows Terminal,
  ConEmu (``TERM_PROGRAM``, ``TERM=xterm-kitty``/``KITTY_WINDOW_ID``, ``WT_SESSION``,
  ``ConEmuPID``).
- **OSC 777** ``ESC ] 777 ; notify ; title ; body ST``: foot, urxvt (its notify extension),
  Contour, VTE terminals that carry the patch (``TERM`` and ``VTE_VERSION``).

``alerts.desktop`` picks: ``auto`` (the detection above), ``osc9`` or ``osc777`` (forced: for a
terminal that does not say who it is), ``off``. Inside tmux or GNU screen ``auto`` sends none
(the bell still rings, and tmux shows it as a window alert): what reaches the outer terminal
depends on passthrough. A forced protocol inside tmux is wrapped in tmux's passthrough
(``ESC P tmux; … ESC \\``, every ESC doubled), which tmux 3.3+ forwards only with
``set -g allow-passthrough on``; otherwise tmux drops it silently. Inside screen a forced
protocol is sent as is (screen swallows it).

The payload is stricter than :func:`edgewatch.display.escape.escape` (which shows controls as
``\\xNN`` for an operator to read): inside an OSC string only printable characters may go, so
every C0/C1 control (ESC and BEL, which would end the string early), DEL, format character
(bidi controls), line/paragraph separator and surrogate becomes a space, and ``;`` (OSC 777's
field separator, and ConEmu's OSC 9 sub-commands) becomes ``,``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

DesktopProtocol = Literal["osc9", "osc777"]
DesktopSetting = Literal["auto", "osc9", "osc777", "off"]
TITLE = "edgewatch"
PAYLOAD_LIMIT = 200  # characters of body: notification daemons cut far shorter anyway
ST = "\x1b\\"
_OSC9_PROGRAMS = {"iTerm.app", "WezTerm", "ghostty", "vscode"}
_OSC777_TERMS = ("foot", "rxvt", "contour")


# What the detection reads: the console keeps only these, never a copy of the whole environment.
TERMINAL_ENV = (
    "TERM", "TERM_PROGRAM", "TMUX", "STY", "KITTY_WINDOW_ID", "WT_SESSION", "ConEmuPID",
    "VTE_VERSION",
)  # fmt: skip


def terminal_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables that say which terminal (and multiplexer) this is."""
    return {k: env[k] for k in TERMINAL_ENV if k in env}


def in_multiplexer(env: Mapping[str, str]) -> Literal["tmux", "screen"] | None:
    if env.get("TMUX") or env.get("TERM", "").startswith("tmux"):
        return "tmux"
    if env.get("STY") or env.get("TERM", "").startswith("screen"):
        return "screen"
    return None


def detect(env: Mapping[str, str]) -> DesktopProtocol | None:
    """Which escape this terminal understands, from what it says about itself; else ``None``."""
    if in_multiplexer(env) is not None:
        return None
    term = env.get("TERM", "")
    if env.get("TERM_PROGRAM", "") in _OSC9_PROGRAMS or term == "xterm-kitty":
        return "osc9"
    if env.get("KITTY_WINDOW_ID") or env.get("WT_SESSION") or env.get("ConEmuPID"):
        return "osc9"
    if term.startswith(_OSC777_TERMS) or env.get("VTE_VERSION"):
        return "osc777"
    return None


def desktop_protocol(
    env: Mapping[str, str], setting: DesktopSetting = "auto"
) -> DesktopProtocol | None:
    """The escape to send under ``alerts.desktop`` in this environment (``None``: send none)."""
    if setting == "off":
        return None
    if setting == "auto":
        return detect(env)
    return setting


def osc_payload(text: str, limit: int = PAYLOAD_LIMIT) -> str:
    """``text`` made safe inside an OSC string: printable characters only, no ``;``."""
    chars = [c if c.isprintable() else " " for c in text]
    out = " ".join("".join(chars).replace(";", ",").split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def desktop_sequence(
    protocol: DesktopProtocol, body: str, env: Mapping[str, str], *, title: str = TITLE
) -> str:
    """The complete escape for one notification (wrapped for tmux when inside it)."""
    safe_title, safe_body = osc_payload(title, 60), osc_payload(body)
    if protocol == "osc9":
        seq = f"\x1b]9;{safe_title}: {safe_body}{ST}"
    else:
        seq = f"\x1b]777;notify;{safe_title};{safe_body}{ST}"
    if in_multiplexer(env) == "tmux":
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + ST
    return seq
