"""The app's side of the Send screen, kept out of ``app.py``: the action behind key ``s`` (binding
id ``send``), when it is offered, the palette command, and the one installed screen.

The screen is installed once and reused: a send keeps running while the operator watches the
dashboard move, and its results are there on return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from edgewatch.metrics.models import MetricsSnapshot
from edgewatch.runtime import Runtime
from edgewatch.tui.send.screen import QueueChoice, SendScreen

SEND_SCREEN = "send"


class SendActions(App[None]):
    """Mixed into :class:`~edgewatch.tui.app.EdgewatchApp` (which provides the attributes)."""

    runtime: Runtime
    snapshot: MetricsSnapshot | None
    clock: Callable[[], float]
    send_seed: int | None = None  # repeatable request ids (tests)

    @property
    def send_screen(self) -> SendScreen:
        """The Send screen, installed on first use."""
        if not self.is_screen_installed(SEND_SCREEN):
            screen = SendScreen(
                self.runtime,
                queues=self.send_queue_choices,
                clock=self.clock,
                seed=self.send_seed,
            )
            self.install_screen(screen, SEND_SCREEN)
        screen = self.get_screen(SEND_SCREEN)
        assert isinstance(screen, SendScreen)
        return screen

    def action_send(self) -> None:
        """Open the Send screen (in read-only mode it says why sending is refused)."""
        if not isinstance(self.screen, SendScreen):
            self.push_screen(self.send_screen)

    def send_queue_choices(self) -> list[QueueChoice]:
        """The queues of the latest poll, in the dashboard's order."""
        queues = self.snapshot.queues if self.snapshot is not None else ()
        return [QueueChoice(q.name, q.url, q.is_dlq) for q in queues if q.url]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":  # from the dashboard; the Send screen has its own keys
            return self.screen.id == "dashboard"
        return super().check_action(action, parameters)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Send test events",
            "Through the SigV4 emitter; follow them by request ID (s)",
            self.action_send,
        )
        yield from super().get_system_commands(screen)
