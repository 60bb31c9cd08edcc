"""The Send screen: test events through the SigV4 emitter, with live progress and the results.

The form is checked on every change (JSON as you type: the error shows under the editor and Send
stays disabled). Sending runs :func:`edgewatch.send.send_events`, the engine behind
``edgewatch send``, in one exclusive worker that posts :class:`SendScreen.Progressed` and
:class:`SendScreen.Finished`. The screen is kept installed by the app: a send goes on while the
operator watches the dashboard, and its results are still here on return. In read-only mode the
screen only says why sending is refused. Everything from the operator or AWS is shown as ``Text``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Select, Static, Switch, TextArea
from textual.worker import Worker

from edgewatch.display.escape import escape, safe
from edgewatch.runtime import Runtime
from edgewatch.send import (
    SendControl,
    SendError,
    SendProgress,
    SendResult,
    resolve_queue,
    send_events,
)
from edgewatch.tui.common.footer import AppFooter
from edgewatch.tui.common.messages import ShowMessage, ShowRequest
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.common.workers import worker_failure
from edgewatch.tui.send.form import QueueChoice, SendForm, SendRequest
from edgewatch.tui.send.results import (
    ResultsTable,
    SendProgressRow,
    detail_text,
    summary_text,
)

__all__ = ["QueueChoice", "SendRequest", "SendScreen"]

SEND_GROUP = "send"
QUEUE_WAIT_S = 1.0  # how often to look for the first poll's queues
HINT_TEXT = (
    "Template events are realistic edge events, each with a fresh request ID and emitted_at "
    "set as it is emitted: watch the queue move on the dashboard and the consumer log each "
    "request ID (enter on a result opens its logs). Poison events are rejected by the "
    "consumer and reach the DLQ after the queue's maxReceiveCount receives. Custom JSON is sent "
    "as written; an object without request_id or emitted_at gets them."
)
READ_ONLY_TEXT = (
    "edgewatch was started in read-only mode (--read-only, or read_only = true in the config), "
    "so it makes no changes: sending test events writes to a queue. Restart without read-only "
    "to send. Press esc to go back."
)


class SendScreen(Screen[None]):
    """Send test events to a queue and follow them by request ID: a :class:`SendForm` above a
    :class:`SendProgressRow` and a :class:`ResultsTable`, one send worker between them."""

    CSS_PATH = "screen.tcss"
    HELP_NAME: ClassVar[str] = "Send test events"  # the help screen lists this screen's keys
    BINDINGS = [
        Binding("escape", "back", "Back", id="send.back"),
        Binding("ctrl+s", "send", "Send", id="send.go"),
        Binding("ctrl+s", "cancel", "Cancel send", id="send.cancel"),
    ]

    class Progressed(Message):
        def __init__(self, progress: SendProgress) -> None:
            super().__init__()
            self.progress = progress

    class Finished(Message):
        """The send ended: a result, or the reason it could not start."""

        def __init__(self, result: SendResult | None, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(
        self,
        runtime: Runtime,
        *,
        queues: Callable[[], Sequence[QueueChoice]],
        clock: Callable[[], float],
        seed: int | None = None,
    ) -> None:
        super().__init__(id="send")
        self.runtime = runtime
        self.read_only = runtime.settings.read_only
        self._queues = queues
        self._clock = clock
        self._seed = seed  # repeatable request ids (tests)
        self._control: SendControl | None = None
        self._request: SendRequest | None = None
        self.running = False
        self.result: SendResult | None = None
        self.problem: str | None = None
        self._waiting: Timer | None = None

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TextStatic(id="send-title")
        if self.read_only:
            with Vertical(id="send-refusal") as box:
                box.border_title = "Sending is refused: read-only mode"
                yield Static(Text(READ_ONLY_TEXT), id="send-refusal-text")
            yield AppFooter()
            return
        yield SendForm(clock=self._clock, seed=self._seed, id="send-form")
        yield TextStatic(id="send-status")
        yield Static(Text(HINT_TEXT), id="send-hint")
        yield SendProgressRow(id="send-progress-row")
        yield ResultsTable(id="send-results")
        yield TextStatic(id="send-detail")
        yield AppFooter()

    @property
    def form(self) -> SendForm:
        return self.query_one("#send-form", SendForm)

    @property
    def results(self) -> ResultsTable:
        return self.query_one("#send-results", ResultsTable)

    @property
    def progress_row(self) -> SendProgressRow:
        return self.query_one("#send-progress-row", SendProgressRow)

    def on_mount(self) -> None:
        title = Text()
        title.append("Send test events", style="bold")
        title.append(" to ", style="dim")
        title.append(escape(self.runtime.endpoint_label))
        self.query_one("#send-title", TextStatic).show(title)
        if self.read_only:
            return
        for selector in ("#send-progress-row", "#send-results", "#send-detail"):
            self.query_one(selector).display = False
        self.refresh_queues()
        self.validate_form()
        if not self.form.choices:  # opened before the first poll: offer its queues when they come
            self._waiting = self.set_interval(QUEUE_WAIT_S, self._wait_for_queues)

    def _wait_for_queues(self) -> None:
        self.refresh_queues()
        if self.form.choices and self._waiting is not None:
            self._waiting.stop()
            self._waiting = None

    def on_screen_resume(self) -> None:
        """Coming back from the dashboard: offer the queues it polled meanwhile."""
        if not self.read_only:
            self.refresh_queues()

    def refresh_queues(self) -> None:
        """Offer the watched queues (the first that is not a DLQ preselected)."""
        if self.form.offer(self._queues()):
            self.validate_form()

    # -- validation ----------------------------------------------------------------------------

    @on(Select.Changed)
    @on(Input.Changed)
    @on(Switch.Changed)
    @on(TextArea.Changed)
    def _form_changed(self) -> None:
        self.validate_form()

    def validate_form(self) -> SendRequest | None:
        """Check every field; show the first problem and enable Send only when there is none."""
        if self.read_only:
            return None
        self._request, self.problem = self.form.check()
        self._show_state()
        return self._request

    def _show_state(self) -> None:
        self.form.set_running(running=self.running, sendable=self._request is not None)
        status = self.query_one("#send-status", TextStatic)
        palette = Palette.from_app(self.app)
        if self.running:
            status.show(Text("Sending… (ctrl+s or Cancel stops; esc keeps it running)"))
        elif self.problem is not None:
            status.show(safe(f"Cannot send: {self.problem}", palette.warn))
        elif self.result is not None:
            status.show(summary_text(self.result, palette))
        else:
            status.show(Text("Ready: ctrl+s or Send", style=palette.muted))
        self.refresh_bindings()

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":  # greyed out while the form has a problem
            if self.read_only or self.running:
                return False
            return True if self._request is not None else None
        if action == "cancel":
            return self.running
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#send-go")
    def _button(self) -> None:
        if self.running:
            self.action_cancel()
        else:
            self.action_send()

    def action_send(self) -> None:
        request = self.validate_form()
        if request is None or self.running:
            return
        self.running = True
        self.result = None
        self._control = SendControl()
        table = self.results
        table.reset()
        table.display = True
        self.query_one("#send-detail").display = True
        self.query_one("#send-detail", TextStatic).show("")
        self.query_one("#send-hint").display = False
        self.progress_row.display = True
        self.progress_row.reset(request.options.count)
        self._show_state()
        self._send(request, self._control)

    def action_cancel(self) -> None:
        if self._control is not None and self.running:
            self._control.cancel()
            self.query_one("#send-status", TextStatic).show(
                Text("Cancelling: waiting for the events already emitted…")
            )

    @work(group=SEND_GROUP, exclusive=True, exit_on_error=False, name="send-test")
    async def _send(self, request: SendRequest, control: SendControl) -> None:
        clients = self.runtime.clients
        try:
            queue = await resolve_queue(clients, request.queue)
        except SendError as exc:
            self.post_message(self.Finished(None, str(exc)))
            return

        def on_progress(progress: SendProgress) -> None:
            self.post_message(self.Progressed(progress))

        result = await send_events(
            clients,
            queue,
            request.make_source(),
            request.options,
            on_progress=on_progress,
            control=control,
        )
        self.post_message(self.Finished(result))

    # -- results -------------------------------------------------------------------------------

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        self.show_progress(message.progress)

    def show_progress(self, p: SendProgress) -> None:
        palette = Palette.from_app(self.app)
        self.progress_row.show(p, palette)
        self.results.add(p.settled, palette)

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if message.result is not None:
            self.show_result(message.result)
        else:
            self.show_error(message.error or "unknown error")

    def show_result(self, result: SendResult) -> None:
        """Show a finished send (also the entry point for snapshot tests)."""
        self.running = False
        self.result = result
        palette = Palette.from_app(self.app)
        self.progress_row.display = True
        table = self.results
        table.display = True
        self.query_one("#send-detail").display = True
        self.query_one("#send-hint").display = False
        done = SendProgress(
            result.requested, len(result.outcomes), result.sent, result.failed, result.dropped
        )
        self.progress_row.show(done, palette)
        table.add(sorted(result.outcomes, key=lambda o: o.index), palette)
        table.in_order()
        self._show_state()  # the status line: the summary
        if table.outcomes:
            table.focus()
        if not self.is_current:
            summary = summary_text(result, palette, hint=False).plain
            severity: SeverityLevel = "information" if result.ok else "error"
            self.app.notify(summary, title="Test send", severity=severity, markup=False)

    def show_error(self, error: str) -> None:
        """The send could not start (unknown queue, no access) or the worker failed."""
        self.running = False
        self.progress_row.display = False
        self._show_state()
        text = Text()
        text.append("Not sent: ", style=f"bold {Palette.from_app(self.app).crit}")
        text.append(escape(error))
        self.query_one("#send-status", TextStatic).show(text)
        if not self.is_current:
            self.app.notify(error, title="Test send failed", severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        failure = worker_failure(event, (SEND_GROUP,))
        if failure is not None:
            self.show_error(failure)

    @on(DataTable.RowHighlighted, "#send-results")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole story of the highlighted event (the Error column may be cut off)."""
        outcome = self.results.outcome(event.row_key.value)
        detail = self.query_one("#send-detail", TextStatic)
        detail.show(detail_text(outcome, Palette.from_app(self.app)) if outcome else "")

    @on(DataTable.RowSelected, "#send-results")
    def _open_logs(self, event: DataTable.RowSelected) -> None:
        """Enter on a result: the worker logs of that event (the Logs screen).

        Lambda-shaped consumers log the invocation ID and the SQS message ID, not the event's
        request ID: a sent event is followed by both IDs, widened to the whole invocations
        that handled it (as the DLQ screen's jump does)."""
        outcome = self.results.outcome(event.row_key.value)
        request_id = outcome.request_id if outcome else None
        message_id = outcome.message_id if outcome else None
        if message_id:
            self.post_message(ShowMessage(message_id, request_id))
        elif request_id:
            self.post_message(ShowRequest(request_id))
        else:
            self.app.notify("This event has no request ID to follow.", markup=False)
