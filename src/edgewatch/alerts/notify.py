"""Where alerts go: the terminal (bell, desktop notification escape) and an optional webhook.

Desktop notifications ride on the terminal: OSC 9 (iTerm2, WezTerm, Ghostty, Windows Terminal,
ConEmu) or OSC 777 (foot, urxvt with its notify extension, Contour, VTE terminals that patch it
in). Unknown terminals get none: an escape they do not understand can print garbage. Inside tmux
and screen nothing but the bell is sent (they would need passthrough, which may be disabled).

The webhook gets a JSON POST with a Slack-compatible ``text`` and the structured ``alert``. Its
URL is a credential: it never appears in a message, an error or a log line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import httpx

from edgewatch.alerts.engine import AlertEvent
from edgewatch.config import AlertSettings

DesktopProtocol = Literal["osc9", "osc777"]
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f;]")
_OSC9_PROGRAMS = {"iTerm.app", "WezTerm", "ghostty", "vscode"}
_OSC777_TERMS = ("foot", "rxvt", "contour")


def desktop_protocol(env: Mapping[str, str]) -> DesktopProtocol | None:
    """Which desktop-notification escape this terminal understands, if any."""
    if env.get("TMUX") or env.get("STY") or env.get("TERM", "").startswith(("screen", "tmux")):
        return None
    program = env.get("TERM_PROGRAM", "")
    if program in _OSC9_PROGRAMS or env.get("WT_SESSION") or env.get("ConEmuPID"):
        return "osc9"
    term = env.get("TERM", "")
    if term.startswith(_OSC777_TERMS) or env.get("VTE_VERSION"):
        return "osc777"
    return None


def _clean(text: str, limit: int = 200) -> str:
    """No control bytes (they would end the escape early) and no ';' (OSC 777's separator)."""
    return _UNSAFE.sub(" ", text)[:limit]


def terminal_alert(
    event: AlertEvent, env: Mapping[str, str], *, bell: bool = True, desktop: bool = True
) -> str:
    """The bytes to write to the terminal for a firing alert ("" for anything else)."""
    if event.state != "firing":
        return ""
    out = "\a" if bell else ""
    protocol = desktop_protocol(env) if desktop else None
    title, body = "edgewatch", _clean(f"{event.queue}: {event.summary}")
    if protocol == "osc9":
        out += f"\x1b]9;{title}: {body}\x1b\\"
    elif protocol == "osc777":
        out += f"\x1b]777;notify;{title};{body}\x1b\\"
    return out


class Webhook:
    """POSTs alerts to ``alerts.webhook_url``; :meth:`send` returns an error text or ``None``."""

    def __init__(self, settings: AlertSettings) -> None:
        self._url = settings.webhook_url.get_secret_value() if settings.webhook_url else None
        self._timeout = settings.webhook_timeout_s
        self._client: httpx.AsyncClient | None = None
        self.sent = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return self._url is not None

    async def send(self, event: AlertEvent) -> str | None:
        if self._url is None or event.state == "suppressed":
            return None
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            resp = await self._client.post(
                self._url, json={"text": event.text, "alert": event.to_json()}
            )
        except httpx.TimeoutException:
            problem = f"no answer within {self._timeout:g} s"
        except httpx.HTTPError as exc:  # the message may carry the URL: name the kind only
            problem = f"cannot connect ({type(exc).__name__})"
        else:
            if resp.is_success:
                self.sent += 1
                return None
            problem = f"HTTP {resp.status_code}"
        self.failed += 1
        return f"alert webhook failed: {problem}"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
