"""The Send screen's form: queue, events, count, rate, poison, custom JSON; checked as typed.

The form turns its fields into a :class:`SendRequest` (or the first problem with them); it sends
nothing itself. Its widgets' ``Changed`` messages bubble to the screen, which validates again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Switch, TextArea

from edgewatch.display.escape import safe
from edgewatch.send import (
    MAX_COUNT,
    BodyError,
    CustomEvents,
    EventSource,
    SendOptions,
    Template,
    TemplateEvents,
    parse_body,
)
from edgewatch.tui.common.text_static import TextStatic

CUSTOM = "custom"
EXAMPLE_BODY = '{"type": "query", "path": "/api/search", "status": 200}'


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


class SendForm(Vertical):
    """The fields of one test send and the Send/Cancel button."""

    def __init__(self, *, clock: Callable[[], float], seed: int | None, id: str) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._seed = seed  # repeatable request ids (tests)
        self.choices: tuple[QueueChoice, ...] = ()

    def compose(self) -> ComposeResult:
        self.border_title = "Send test events"
        self.border_subtitle = "through the SigV4 emitter, as the edge sends"
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

    def offer(self, choices: Sequence[QueueChoice]) -> bool:
        """Offer these queues (the first that is not a DLQ preselected); whether they changed."""
        choices = tuple(choices)
        if choices == self.choices:
            return False
        self.choices = choices
        select = self.query_one("#send-queue", Select)
        current = select.value
        select.set_options((safe(c.name, one_line=True), c.url) for c in choices)
        urls = [c.url for c in choices]
        if current in urls:
            select.value = current
        elif choices:
            select.value = next((c.url for c in choices if not c.is_dlq), urls[0])
        return True

    def check(self) -> tuple[SendRequest | None, str | None]:
        """The request the fields describe, or the first problem with them (shown by the
        caller); a JSON error is also shown under the editor."""
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
            name: Template = "response" if template == "response" else "query"
            make_source = partial(TemplateEvents, name, poison=poison, seed=self._seed)

        json_error.display = custom and problem is not None
        json_error.show(safe(problem or ""))
        if problem is not None:
            problem = "the JSON body is not valid (see the error under it)"
        count, count_problem = parse_count(self.query_one("#send-count", Input).value)
        rate, rate_problem = parse_rate(self.query_one("#send-rate", Input).value)
        queue = self.query_one("#send-queue", Select).value
        problem = (
            problem
            or count_problem
            or rate_problem
            or (None if isinstance(queue, str) else "choose a queue")
        )
        if problem is None and make_source is not None and isinstance(queue, str):
            options = SendOptions(count=count, rate=rate, clock=self._clock)
            return SendRequest(queue, options, make_source), None
        return None, problem

    def set_running(self, *, running: bool, sendable: bool) -> None:
        """While a send runs the fields are locked and the button cancels."""
        button = self.query_one("#send-go", Button)
        button.label = "Cancel" if running else "Send"
        button.variant = "error" if running else "primary"
        button.disabled = not running and not sendable
        for selector in ("#send-queue", "#send-template", "#send-count", "#send-rate"):
            self.query_one(selector).disabled = running
        self.query_one("#send-poison").disabled = running
        self.query_one("#send-body").disabled = running


def parse_count(value: str) -> tuple[int, str | None]:
    try:
        count = int(value)
    except ValueError:
        return 0, "count must be a whole number"
    if not 1 <= count <= MAX_COUNT:
        return 0, f"count must be 1 to {MAX_COUNT:,}"
    return count, None


def parse_rate(value: str) -> tuple[float | None, str | None]:
    if not value.strip():
        return None, None
    try:
        rate = float(value)
    except ValueError:
        return None, "rate must be a number of events per second"
    if not rate > 0 or rate == float("inf"):
        return None, "rate must be a positive number (empty: no limit)"
    return rate, None
