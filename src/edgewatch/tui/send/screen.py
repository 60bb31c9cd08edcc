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
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    Switch,
    TextArea,
)
from textual.worker import Worker, WorkerState

from edgewatch.display.escape import safe
from edgewatch.runtime import Runtime
from edgewatch.send import (
    MAX_COUNT,
    BodyError,
    CustomEvents,
    EventOutcome,
    EventSource,
    SendControl,
    SendError,
    SendOptions,
    SendProgress,
    SendResult,
    TemplateEvents,
    parse_body,
    resolve_queue,
    send_events,
)
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic

SEND_GROUP = "send"
CUSTOM = "custom"
MAX_ROWS = 1000  # result rows shown; the counts cover every event
QUEUE_WAIT_S = 1.0  # how often to look for the first poll's queues
EXAMPLE_BODY = '{"type": "query", "path": "/api/search", "status": 200}'
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


@dataclass(frozen=True, slots=True)
class QueueChoice:
    """A queue the picker offers (the watched queues of the latest poll)."""

    name: str
    url: str
    is_dlq: bool = False


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A valid form: what the worker sends."""

    queue: str  # URL (or name) to resolve
    options: SendOptions
    make_source: Callable[[], EventSource]


class SendScreen(Screen[None]):
    """Send test events to a queue and follow them by request ID."""

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
        self._choices: tuple[QueueChoice, ...] = ()
        self._control: SendControl | None = None
        self._request: SendRequest | None = None
        self.running = False
        self.result: SendResult | None = None
        self.problem: str | None = None
        self._rows: dict[str, EventOutcome] = {}  # row key -> the outcome it shows
        self._waiting: Timer | None = None

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TextStatic(id="send-title")
        if self.read_only:
            with Vertical(id="send-refusal") as box:
                box.border_title = "Sending is refused: read-only mode"
                yield Static(Text(READ_ONLY_TEXT), id="send-refusal-text")
            yield Footer()
            return
        with Vertical(id="send-form") as form:
            form.border_title = "Send test events"
            form.border_subtitle = "through the SigV4 emitter, as the edge sends"
            with Horizontal(classes="send-row"):
                yield Label("Queue", classes="send-label")
                yield Select[str]([], id="send-queue", prompt="no queue polled yet")
                yield Label("Events", classes="send-label")
                yield Select[str](
                    [
                        (Text("query template"), "query"),
                        (Text("response template"), "response"),
                        (Text("custom JSON"), CUSTOM),
                    ],
                    id="send-template",
                    value="query",
                    allow_blank=False,
                )
            with Horizontal(classes="send-row"):
                yield Label("Count", classes="send-label")
                yield Input("1", id="send-count", type="integer", select_on_focus=True)
                yield Label("Rate/s", classes="send-label")
                yield Input("", id="send-rate", type="number", placeholder="no limit")
                yield Label("Poison", classes="send-label")
                yield Switch(False, id="send-poison")
                yield Button("Send", id="send-go", variant="primary", disabled=True)
            yield TextArea(EXAMPLE_BODY, id="send-body", soft_wrap=True)
            yield TextStatic(id="send-json-error")
        yield TextStatic(id="send-status")
        yield Static(Text(HINT_TEXT), id="send-hint")
        with Horizontal(id="send-progress-row"):
            yield ProgressBar(total=1, id="send-progress", show_eta=False)
            yield TextStatic(id="send-counts")
        yield DataTable(id="send-results", cursor_type="row", zebra_stripes=True)
        yield TextStatic(id="send-detail")
        yield Footer()

    def on_mount(self) -> None:
        title = Text()
        title.append("Send test events", style="bold")
        title.append(" to ", style="dim")
        title.append(self.runtime.endpoint_label)
        self.query_one("#send-title", TextStatic).show(title)
        if self.read_only:
            return
        table = self.query_one("#send-results", DataTable)
        for label, key in (
            ("#", "index"),
            ("Request ID", "request_id"),
            ("Status", "status"),
            ("Ack ms", "ack"),
            ("Message ID", "message_id"),
            ("Error", "error"),
        ):
            table.add_column(label, key=key)
        for selector in ("#send-progress-row", "#send-results", "#send-detail"):
            self.query_one(selector).display = False
        self.refresh_queues()
        self.validate_form()
        if not self._choices:  # opened before the first poll: offer its queues when they come
            self._waiting = self.set_interval(QUEUE_WAIT_S, self._wait_for_queues)

    def _wait_for_queues(self) -> None:
        self.refresh_queues()
        if self._choices and self._waiting is not None:
            self._waiting.stop()
            self._waiting = None

    def on_screen_resume(self) -> None:
        """Coming back from the dashboard: offer the queues it polled meanwhile."""
        if not self.read_only:
            self.refresh_queues()

    def refresh_queues(self) -> None:
        """Offer the watched queues (the first that is not a DLQ preselected)."""
        choices = tuple(self._queues())
        if choices == self._choices:
            return
        self._choices = choices
        select = self.query_one("#send-queue", Select)
        current = select.value
        select.set_options((safe(c.name, one_line=True), c.url) for c in choices)
        urls = [c.url for c in choices]
        if current in urls:
            select.value = current
        elif choices:
            select.value = next((c.url for c in choices if not c.is_dlq), urls[0])
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
        template = self.query_one("#send-template", Select).value
        custom = template == CUSTOM
        body = self.query_one("#send-body", TextArea)
        body.display = custom
        json_error = self.query_one("#send-json-error", TextStatic)
        problem: str | None = None
        make_source: Callable[[], EventSource] | None = None
        poison = self.query_one("#send-poison", Switch).value
        if custom:
            try:
                parsed = parse_body(body.text)
                CustomEvents([parsed], poison=poison)  # poison needs an object
            except BodyError as exc:
                problem = str(exc)
            else:
                make_source = partial(CustomEvents, [parsed], poison=poison, seed=self._seed)
        else:
            make_source = partial(TemplateEvents, template, poison=poison, seed=self._seed)

        json_error.display = custom and problem is not None
        json_error.show(safe(problem or ""))
        if problem is not None:
            problem = "the JSON body is not valid (see the error under it)"
        count, count_problem = _parse_count(self.query_one("#send-count", Input).value)
        rate, rate_problem = _parse_rate(self.query_one("#send-rate", Input).value)
        queue = self.query_one("#send-queue", Select).value
        problem = (
            problem
            or count_problem
            or rate_problem
            or (None if isinstance(queue, str) else "choose a queue")
        )
        self.problem = problem
        request = None
        if problem is None and make_source is not None and isinstance(queue, str):
            options = SendOptions(count=count, rate=rate, clock=self._clock)
            request = SendRequest(queue, options, make_source)
        self._request = request
        self._show_state()
        return request

    def _show_state(self) -> None:
        button = self.query_one("#send-go", Button)
        button.label = "Cancel" if self.running else "Send"
        button.variant = "error" if self.running else "primary"
        button.disabled = not self.running and self._request is None
        for selector in ("#send-queue", "#send-template", "#send-count", "#send-rate"):
            self.query_one(selector).disabled = self.running
        self.query_one("#send-poison").disabled = self.running
        self.query_one("#send-body").disabled = self.running
        status = self.query_one("#send-status", TextStatic)
        palette = Palette.from_app(self.app)
        if self.running:
            status.show(Text("Sending… (ctrl+s or Cancel stops; esc keeps it running)"))
        elif self.problem is not None:
            status.show(safe(f"Cannot send: {self.problem}", palette.warn))
        elif self.result is not None:
            status.show(_summary(self.result, palette))
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
        self._rows.clear()
        table = self.query_one("#send-results", DataTable)
        table.clear()
        table.display = True
        self.query_one("#send-detail").display = True
        self.query_one("#send-detail", TextStatic).show("")
        self.query_one("#send-hint").display = False
        progress_row = self.query_one("#send-progress-row")
        progress_row.display = True
        self.query_one("#send-progress", ProgressBar).update(
            total=request.options.count, progress=0
        )
        self.query_one("#send-counts", TextStatic).show("")
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
        result = await send_events(
            clients,
            queue,
            request.make_source(),
            request.options,
            on_progress=lambda p: self.post_message(self.Progressed(p)),
            control=control,
        )
        self.post_message(self.Finished(result))

    # -- results -------------------------------------------------------------------------------

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        self.show_progress(message.progress)

    def show_progress(self, p: SendProgress) -> None:
        self.query_one("#send-progress", ProgressBar).update(total=p.total, progress=p.done)
        self.query_one("#send-counts", TextStatic).show(_counts(p, Palette.from_app(self.app)))
        self._add_rows(p.settled)

    def _add_rows(self, outcomes: Sequence[EventOutcome]) -> None:
        table = self.query_one("#send-results", DataTable)
        palette = Palette.from_app(self.app)
        for o in outcomes:
            key = str(o.index)
            if key in self._rows or len(self._rows) >= MAX_ROWS:
                continue
            self._rows[key] = o
            table.add_row(
                Text(str(o.index + 1)),
                safe(o.request_id or "—", one_line=True),
                Text(o.status, style=_status_style(o, palette)),
                Text("" if o.ack_ms is None else f"{o.ack_ms:.1f}", justify="right"),
                safe(o.message_id or "", one_line=True),
                safe(o.error or "", one_line=True),
                key=key,
            )

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
        self.query_one("#send-progress-row").display = True
        table = self.query_one("#send-results", DataTable)
        table.display = True
        self.query_one("#send-detail").display = True
        self.query_one("#send-hint").display = False
        self.query_one("#send-progress", ProgressBar).update(
            total=result.requested, progress=len(result.outcomes)
        )
        self.query_one("#send-counts", TextStatic).show(
            _counts(
                SendProgress(
                    result.requested,
                    len(result.outcomes),
                    result.sent,
                    result.failed,
                    result.dropped,
                ),
                Palette.from_app(self.app),
            )
        )
        self._add_rows(sorted(result.outcomes, key=lambda o: o.index))
        table.sort("index", key=lambda cell: int(cell.plain))  # rows came in as acks arrived
        self._show_state()  # the status line: the summary
        if self._rows:
            table.focus()
        if not self.is_current:
            summary = _summary(result, Palette.from_app(self.app), hint=False).plain
            severity = "information" if result.ok else "error"
            self.app.notify(summary, title="Test send", severity=severity, markup=False)

    def show_error(self, error: str) -> None:
        """The send could not start (unknown queue, no access) or the worker failed."""
        self.running = False
        self.query_one("#send-progress-row").display = False
        self._show_state()
        text = Text()
        text.append("Not sent: ", style=f"bold {Palette.from_app(self.app).crit}")
        text.append(error)
        self.query_one("#send-status", TextStatic).show(text)
        if not self.is_current:
            self.app.notify(error, title="Test send failed", severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group == SEND_GROUP and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.show_error(f"{type(error).__name__}: {error}" if error else "unknown error")

    @on(DataTable.RowHighlighted, "#send-results")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole story of the highlighted event (the Error column may be cut off)."""
        outcome = self._rows.get(str(event.row_key.value))
        detail = self.query_one("#send-detail", TextStatic)
        detail.show(_detail(outcome, Palette.from_app(self.app)) if outcome else "")

    @on(DataTable.RowSelected, "#send-results")
    def _open_logs(self, event: DataTable.RowSelected) -> None:
        """Enter on a result: the worker logs of that request (the Logs screen)."""
        outcome = self._rows.get(str(event.row_key.value))
        request_id = outcome.request_id if outcome else None
        if not request_id:
            self.app.notify("This event has no request ID to follow.", markup=False)
            return
        show_request = getattr(self.app, "show_request", None)
        if show_request is None:
            self.app.notify(
                f"No Logs screen in this build; follow it with: edgewatch tail --request-id "
                f"{request_id}",
                title="Request ID",
                markup=False,
            )
            return
        show_request(request_id)


def _parse_count(value: str) -> tuple[int, str | None]:
    try:
        count = int(value)
    except ValueError:
        return 0, "count must be a whole number"
    if not 1 <= count <= MAX_COUNT:
        return 0, f"count must be 1 to {MAX_COUNT:,}"
    return count, None


def _parse_rate(value: str) -> tuple[float | None, str | None]:
    if not value.strip():
        return None, None
    try:
        rate = float(value)
    except ValueError:
        return None, "rate must be a number of events per second"
    if not rate > 0 or rate == float("inf"):
        return None, "rate must be a positive number (empty: no limit)"
    return rate, None


def _counts(p: SendProgress, palette: Palette) -> Text:
    text = Text(f" {p.done}/{p.total}  emitted {p.emitted} · ")
    text.append(f"sent {p.sent}", style=palette.ok if p.sent else "")
    text.append(" · ")
    text.append(f"failed {p.failed}", style=f"bold {palette.crit}" if p.failed else "")
    text.append(" · ")
    text.append(f"dropped {p.dropped}", style=palette.warn if p.dropped else "")
    return text


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def _status_style(o: EventOutcome, palette: Palette) -> str:
    return {"sent": palette.ok, "failed": f"bold {palette.crit}"}.get(o.status, palette.warn)


def _detail(o: EventOutcome, palette: Palette) -> Text:
    text = Text()
    text.append(f"event {o.index + 1}", style="bold")
    if o.line is not None:
        text.append(f" (line {o.line})")
    text.append(" · request ")
    text.append(o.request_id or "—")
    text.append(" · ")
    text.append(o.status, style=_status_style(o, palette))
    if o.status == "sent":
        text.append(f" as {o.message_id} in {_ms(o.ack_ms)}")
    if o.attempts > 1:
        text.append(f" after {o.attempts} attempts")
    if o.error:
        text.append(": ")
        text.append(o.error)
    return text


def _summary(result: SendResult, palette: Palette, *, hint: bool = True) -> Text:
    style = f"bold {palette.ok}" if result.ok else f"bold {palette.crit}"
    head = "Done" if result.ok else ("Cancelled" if result.cancelled else "Incomplete")
    text = Text()
    text.append(f"{head}: ", style=style)
    text.append(f"sent {result.sent} of {result.requested} to ")
    text.append(result.queue.name, style="bold")
    text.append(
        f" in {result.elapsed_s:.2f} s · ack p50 {_ms(result.ack_ms(0.5))} · "
        f"p99 {_ms(result.ack_ms(0.99))}"
    )
    if result.stopped:
        text.append(f" · {result.stopped}")
    if len(result.outcomes) > MAX_ROWS:
        text.append(f" · the table lists {MAX_ROWS:,} of them")
    if hint and any(o.request_id for o in result.outcomes):
        text.append(" · enter on a row: its logs", style=palette.muted)
    return text
