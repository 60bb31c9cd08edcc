"""The console's side of the alert engine: what an operator sees and hears when one fires.

Each live snapshot runs the same rules as ``edgewatch watch --alerts``. A firing alert is a
warning notification and a terminal bell; a resolved one a short notification. At most
``COALESCE`` alert notifications are on screen at a time (``TOAST_S``): past that, alerts become
one notification that says how many and points at the history (``a``), at most one such summary
per ``TOAST_S`` (a fleet's first minutes fire a few alerts on every poll, and a screen covered in
toasts hides the table), and the bell rings at most once per ``TOAST_S``. Where the terminal has
one (``alerts.desktop``, see :mod:`edgewatch.alerts.desktop`) each notified alert is also a
desktop notification, written to the terminal between frames; a coalesced burst is one. The
webhook posts from a worker: a slow receiver never holds up the screen. Text goes through the
one escaping rule (``App.notify`` escapes everything); the desktop payload through its own
stricter one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from edgewatch.alerts.desktop import desktop_protocol, desktop_sequence, terminal_env
from edgewatch.alerts.engine import AlertEngine, AlertEvent
from edgewatch.alerts.notify import Webhook, alert_body
from edgewatch.config import AlertSettings
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.tui.common.terminal import write_to_terminal

if TYPE_CHECKING:
    from textual.app import App

COALESCE = 3
TOAST_S = 10.0  # how long an alert notification stays on screen
GROUP = "alerts"


class AlertRelay:
    def __init__(
        self,
        app: App[None],
        settings: AlertSettings,
        *,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.engine = AlertEngine(settings, clock=clock)
        self.webhook = Webhook(settings)
        self.env = terminal_env(os.environ if env is None else env)
        self.desktop = desktop_protocol(self.env, settings.desktop)
        self.desktop_sent = 0
        self.clock = clock
        self._shown: list[float] = []  # when each alert notification now on screen was shown
        self._pending: list[AlertEvent] = []  # fired while the screen was full of them
        self._summary_at: float | None = None
        self._bell_at: float | None = None

    def evaluate(
        self, snapshot: MetricsSnapshot, forecasts: Mapping[str, Forecast]
    ) -> list[AlertEvent]:
        events = self.engine.evaluate(snapshot, forecasts)
        firing = [e for e in events if e.state == "firing"]
        resolved = [e for e in events if e.state == "resolved"]
        self._notify_firing(firing)
        for ev in resolved[:COALESCE]:
            self.app.notify(ev.text, title="Resolved", timeout=5)
        now = self.clock()
        if firing and self.settings.bell and not _within(self._bell_at, now):
            self._bell_at = now
            self.app.bell()
        sendable = [e for e in events if e.state != "suppressed"]
        if self.webhook.enabled and sendable:
            self.app.run_worker(self._post(sendable), group=GROUP, exit_on_error=False)
        return events

    def _notify_firing(self, firing: list[AlertEvent]) -> None:
        now = self.clock()
        self._shown = [t for t in self._shown if now - t < TOAST_S]
        self._pending.extend(firing)
        if not self._pending:
            return
        if len(self._shown) + len(self._pending) <= COALESCE:
            for ev in self._pending:
                self.app.notify(ev.text, title="Alert", severity="warning", timeout=TOAST_S)
                self._desktop(alert_body(ev))
                self._shown.append(now)
        elif not _within(self._summary_at, now):
            count = len(self._pending)
            names = ", ".join(sorted({e.queue for e in self._pending})[:COALESCE])
            more = ", …" if count > COALESCE else ""
            self.app.notify(
                f"{count} alerts: {names}{more} (a: alert history)",
                title="Alerts",
                severity="warning",
                timeout=TOAST_S,
            )
            self._desktop(f"{count} alerts: {names}{more}")
            self._summary_at = now
            self._shown.append(now)
        else:
            return  # a summary is on screen: these go into the next one
        self._pending = []

    def _desktop(self, body: str) -> None:
        if self.desktop is not None:
            sequence = desktop_sequence(self.desktop, body, self.env)
            self.desktop_sent += write_to_terminal(self.app, sequence)

    async def _post(self, events: list[AlertEvent]) -> None:
        for ev in events:
            problem = await self.webhook.send(ev)
            if problem:
                self.app.notify(problem, title="Alerts", severity="error", timeout=8)
                return

    async def aclose(self) -> None:
        await self.webhook.aclose()


def _within(at: float | None, now: float) -> bool:
    return at is not None and now - at < TOAST_S
