"""Where alerts go: the terminal (bell, desktop notification escape) and an optional webhook.

Desktop notifications ride on the terminal (OSC 9 / OSC 777): which one, and the strict payload
rule, are in :mod:`edgewatch.alerts.desktop`.

The webhook gets a JSON POST with a Slack-compatible ``text`` and the structured ``alert``. Its
URL is a credential: it never appears in a message, an error or a log line.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from edgewatch.alerts.desktop import DesktopSetting, desktop_protocol, desktop_sequence
from edgewatch.alerts.engine import AlertEvent
from edgewatch.config import AlertSettings


def terminal_alert(
    event: AlertEvent,
    env: Mapping[str, str],
    *,
    bell: bool = True,
    desktop: DesktopSetting = "auto",
) -> str:
    """The bytes to write to the terminal for a firing alert ("" for anything else)."""
    if event.state != "firing":
        return ""
    out = "\a" if bell else ""
    protocol = desktop_protocol(env, desktop)
    if protocol is not None:
        out += desktop_sequence(protocol, alert_body(event), env)
    return out


def alert_body(event: AlertEvent) -> str:
    """What a desktop notification says: the queue and the alert, never a URL or credential."""
    again = " (still)" if event.repeat else ""
    return f"{event.queue}: {event.summary}{again}"


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
