"""The DLQ screen: browse a dead-letter queue, inspect a message, jump to its logs, replay.

SQS has no peek: browsing *receives*, so every message shown has its receive count raised and is
held invisible until the operator leaves (then released) or replays it (then handed to the
engine with its lease). The screen says so on its second line. Leaving includes quitting the
app: the release (and the end of a running replay's batches in flight) is work the app finishes,
within a deadline, before it closes its clients. All AWS work is the core's
(:class:`~edgewatch.dlq.replay.DlqBrowser`, :func:`~edgewatch.dlq.replay.plan_replay`,
:class:`~edgewatch.dlq.replay.ReplayEngine`), run in workers that post the typed messages below; an
error becomes a notification, never a traceback. Message content is rendered as ``Text`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar
from textual.worker import Worker, WorkerState

from edgewatch.aws import AwsClients, describe_error
from edgewatch.config import ReplaySettings
from edgewatch.display.escape import escape, safe
from edgewatch.dlq.replay import (
    BrowsePage,
    DlqBrowser,
    DlqMessage,
    FilterError,
    MessageFilter,
    NativeOffer,
    ReplayEngine,
    ReplayError,
    ReplayEvent,
    ReplayFinished,
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplayResult,
    Selection,
    offer_native,
    plan_replay,
    preview_held,
    replay_options,
    request_id_of,
)
from edgewatch.metrics.models import QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.text import detail_text, progress_text, row_cells, summary_text

BROWSE_GROUP = "dlq-browse"
REPLAY_GROUP = "dlq-replay"
PAGE = 50
FIXED_COLUMNS = 40  # sel, rcv, age, group, cell padding, scrollbar, borders: the rest is body
FILTER_HELP = (
    "text · $.field OP value (== != > >= < <=) · @Attribute == value — enter applies, "
    "empty clears, esc cancels"
)
READ_ONLY_REFUSAL = (
    "Read-only mode: replay is refused (it sends to a queue and deletes from the DLQ). "
    "Browsing is allowed; restart without --read-only to replay."
)
COLUMNS = (("", "sel"), ("Rcv", "rcv"), ("Age", "age"), ("Group", "group"), ("Body", "body"))


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark an outcome seen: a task nobody awaits (the app quitting) must not log a traceback."""
    if not future.cancelled():
        future.exception()


@dataclass(frozen=True, slots=True)
class DlqTarget:
    """The DLQ to open: its URL and the name shown."""

    url: str
    name: str


def dlq_for(queue: QueueStatus | None) -> DlqTarget | str:
    """The DLQ of the highlighted dashboard row (or the row itself when it is a DLQ), else why
    there is none, phrased for a notification."""
    if queue is None:
        return "No queue is highlighted (the first poll has not answered yet)."
    if queue.is_dlq and queue.url:
        return DlqTarget(queue.url, queue.name)
    if queue.dlq_url:
        name = queue.dlq.name if queue.dlq is not None else queue.dlq_url.rsplit("/", 1)[-1]
        return DlqTarget(queue.dlq_url, name)
    return f"{queue.name} has no dead-letter queue (no RedrivePolicy)."


def open_dlq(app: App[object], queue: QueueStatus | None, **screen_kwargs: object) -> None:
    """The app's ``d``: push the DLQ screen for ``queue``'s DLQ, or say why there is none."""
    target = dlq_for(queue)
    if isinstance(target, str):
        app.notify(target, title="DLQ", severity="warning", markup=False)
        return
    runtime = app.runtime  # type: ignore[attr-defined]
    app.push_screen(
        DlqScreen(
            runtime.clients,
            target,
            replay=runtime.settings.replay,
            read_only=runtime.settings.read_only,
            clock=app.clock,  # type: ignore[attr-defined]
            **screen_kwargs,  # type: ignore[arg-type]
        )
    )


class DlqScreen(Screen[None]):
    """One DLQ: the held messages, a detail panel, selection, filter and replay."""

    CSS_PATH = "screen.tcss"
    HELP_NAME: ClassVar[str] = "DLQ"  # the help screen lists this screen's keys
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="dlq.back"),
        Binding("space", "toggle_select", "Select", id="dlq.select"),
        Binding("slash", "filter", "Filter", id="dlq.filter", key_display="/"),
        Binding("enter", "details", "Details", id="dlq.details"),
        Binding("l", "logs", "Logs of request", id="dlq.logs"),
        Binding("R", "replay", "Replay", id="dlq.replay", key_display="R"),
        Binding("m", "more", "More", id="dlq.more"),
    ]

    # -- worker messages -----------------------------------------------------------------------

    class PageLoaded(Message):
        def __init__(self, messages: list[DlqMessage], exhausted: bool) -> None:
            super().__init__()
            self.messages = messages
            self.exhausted = exhausted

    class Failed(Message):
        """A browse or a replay could not start or stopped; ``error`` is for the operator."""

        def __init__(self, what: str, error: str) -> None:
            super().__init__()
            self.what = what
            self.error = error

    class PreviewReady(Message):
        def __init__(
            self, plan: ReplayPlan, preview: ReplayResult, ids: list[str], native: NativeOffer
        ) -> None:
            super().__init__()
            self.plan = plan
            self.preview = preview
            self.ids = ids
            self.native = native

    class Released(Message):
        """The browser let go of everything (an "all" dry run must see every message)."""

    class Progressed(Message):
        def __init__(self, progress: ReplayProgress) -> None:
            super().__init__()
            self.progress = progress

    class Done(Message):
        def __init__(self, result: ReplayResult) -> None:
            super().__init__()
            self.result = result

    def __init__(
        self,
        clients: AwsClients,
        target: DlqTarget,
        *,
        replay: ReplaySettings | None = None,
        read_only: bool = False,
        clock: Callable[[], float],
        autoload: bool = True,
        wait_time_s: int = 1,
    ) -> None:
        super().__init__(id="dlq")
        self.clients = clients
        self.target = target
        self.replay_settings = replay or ReplaySettings()
        self.read_only = read_only
        self.clock = clock
        self.autoload = autoload  # False: tests feed messages with show_messages()
        self.browser = DlqBrowser(clients, target.url, wait_time_s=wait_time_s)
        self.messages: dict[str, DlqMessage] = {}  # shown (held by the browser), browse order
        self.selected: set[str] = set()
        self.filter: MessageFilter | None = None
        self.exhausted = False
        self.loading = False
        self.busy: str | None = None  # "preparing" / "replaying": one replay at a time
        self.engine: ReplayEngine | None = None
        self.result: ReplayResult | None = None
        self._total = 0
        self._let_go = False
        self._receiving: asyncio.Future[BrowsePage] | None = None
        self._runs: dict[ReplayEngine, asyncio.Task[ReplayResult]] = {}  # dry runs and replays

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TextStatic(id="dlq-title")
        yield TextStatic(id="dlq-note")
        yield Input(placeholder=FILTER_HELP, id="dlq-filter-input")
        yield DataTable(id="dlq-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="dlq-detail-box"):
            yield TextStatic(id="dlq-detail")
        with Horizontal(id="dlq-replay"):
            yield ProgressBar(total=1, id="dlq-progress", show_eta=False)
            yield TextStatic(id="dlq-counts")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        self.query_one("#dlq-filter-input").display = False
        self.query_one("#dlq-replay").display = False
        self.query_one("#dlq-detail-box").border_title = "Message"
        table.focus()
        self._show_header()
        self._show_detail()
        if self.autoload:
            self.load()

    def on_resize(self) -> None:
        self._fill_table()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#dlq-list", DataTable)

    @property
    def palette(self) -> Palette:
        return Palette.from_app(self.app)

    def _body_width(self) -> int:
        return max(20, self.app.size.width - FIXED_COLUMNS)

    def shown(self) -> list[DlqMessage]:
        """The messages the list shows: all held, or those matching the filter."""
        f = self.filter
        return [m for m in self.messages.values() if f is None or f.matches(m)]

    def highlighted(self) -> DlqMessage | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.messages.get(str(key))

    def _fill_table(self) -> None:
        """Rebuild the rows (a few hundred at most), keeping the cursor on the same message."""
        table = self.table
        current = self.highlighted()
        table.clear()
        width = self._body_width()
        now = self.clock()
        palette = self.palette
        for msg in self.shown():
            cells = row_cells(
                msg,
                now=now,
                selected=msg.message_id in self.selected,
                body_width=width,
                palette=palette,
            )
            table.add_row(*cells, key=msg.message_id)
        if current is not None and current.message_id in table.rows:
            table.move_cursor(row=table.get_row_index(current.message_id), animate=False)
        self._show_header()
        self._show_detail()

    def _show_header(self) -> None:
        palette = self.palette
        title = Text()
        title.append("DLQ ", style="bold")
        title.append(escape(self.target.name, one_line=True), style=f"bold {palette.accent}")
        shown = len(self.shown())
        title.append(f" · {shown} shown")
        if self.filter is not None:
            title.append(f" of {len(self.messages)} · filter ")
            title.append(escape(self.filter.expression, one_line=True), style="bold")
        if self.selected:
            title.append(f" · {len(self.selected)} selected", style=f"bold {palette.accent}")
        if self.loading:
            title.append(" · receiving…", style=palette.muted)
        elif not self.exhausted and self.messages:
            title.append(" · m: more", style=palette.muted)
        elif self.exhausted:
            title.append(" · all visible messages shown", style=palette.muted)
        if self.read_only:
            title.append(" · READ-ONLY: browse only", style=f"bold {palette.warn}")
        self.query_one("#dlq-title", TextStatic).show(title)
        self.refresh_bindings()  # "m More" greys out once the DLQ is exhausted
        note = safe(" ".join(self.browser.warnings), palette.warn)
        self.query_one("#dlq-note", TextStatic).show(note, layout=True)

    def _show_detail(self) -> None:
        msg = self.highlighted()
        detail = self.query_one("#dlq-detail", TextStatic)
        box = self.query_one("#dlq-detail-box")
        if msg is None:
            empty = "Receiving…" if self.loading else "No message to show."
            detail.show(Text(empty, style=self.palette.muted), layout=True)
            box.border_subtitle = ""
            return
        detail.show(detail_text(msg, now=self.clock(), palette=self.palette), layout=True)
        logs = "l: its logs · " if request_id_of(msg) else ""
        box.border_subtitle = f"{logs}enter: full screen"

    @on(DataTable.RowHighlighted, "#dlq-list")
    def _highlight_changed(self) -> None:
        self._show_detail()

    # -- browsing ------------------------------------------------------------------------------

    def show_messages(self, messages: Sequence[DlqMessage], *, exhausted: bool) -> None:
        """Add received messages to the list (the browse worker's page, or a test's)."""
        for msg in messages:
            self.messages[msg.message_id] = msg
        self.exhausted = exhausted
        self.loading = False
        self._fill_table()

    def load(self, size: int = PAGE) -> None:
        """Receive the next page; one load at a time (a cancelled receive would hide messages)."""
        if self.loading or self._let_go:
            return
        self.loading = True
        self._show_header()
        self._browse(size)

    @work(group=BROWSE_GROUP, exclusive=True, exit_on_error=False, name="dlq-browse")
    async def _browse(self, size: int) -> None:
        # Shielded: leaving the screen cancels this worker, but a receive cut off mid-flight
        # would hide its messages for the whole visibility timeout; the release waits for it.
        self._receiving = asyncio.ensure_future(self.browser.next_page(size))
        self._receiving.add_done_callback(_retrieved)  # if nobody awaits it (app quitting)
        try:
            page = await asyncio.shield(self._receiving)
        except ReplayError as exc:
            self.post_message(self.Failed("browse", str(exc)))
            return
        except Exception as exc:
            self.post_message(self.Failed("browse", describe_error(exc)))
            return
        self.post_message(self.PageLoaded(page.messages, page.exhausted))

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        self.show_messages(message.messages, exhausted=message.exhausted)

    def action_more(self) -> None:
        self.load()

    # -- selection, filter, detail, logs -------------------------------------------------------

    def action_toggle_select(self) -> None:
        msg = self.highlighted()
        if msg is None:
            return
        mid = msg.message_id
        self.selected.symmetric_difference_update({mid})
        cell = Text("✓" if mid in self.selected else " ", style=f"bold {self.palette.accent}")
        self.table.update_cell(mid, "sel", cell)
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.move_cursor(row=self.table.cursor_row + 1, animate=False)
        self._show_header()

    def action_filter(self) -> None:
        field = self.query_one("#dlq-filter-input", Input)
        field.value = self.filter.expression if self.filter else ""
        field.display = True
        field.focus()

    @on(Input.Submitted, "#dlq-filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        expression = event.value.strip()
        try:
            self.filter = MessageFilter.parse(expression) if expression else None
        except FilterError as exc:
            self.notify(str(exc), title="Filter", severity="error", markup=False)
            return
        self._close_filter()
        self._fill_table()

    def _close_filter(self) -> None:
        field = self.query_one("#dlq-filter-input", Input)
        field.display = False
        self.table.focus()

    @on(DataTable.RowSelected, "#dlq-list")
    def _row_selected(self) -> None:
        self.action_details()

    def action_details(self) -> None:
        """Enter: the detail panel full screen (long bodies), or back to the list."""
        self.toggle_class("-zoom")
        if self.has_class("-zoom"):
            self.query_one("#dlq-detail-box").focus()
        else:
            self.table.focus()

    def action_logs(self) -> None:
        """The worker logs of the highlighted message's request (its failures are there)."""
        msg = self.highlighted()
        if msg is None:
            return
        request_id = request_id_of(msg)
        if not request_id:
            self.notify(
                "This message's body has no request_id to follow.", title="Logs", markup=False
            )
            return
        show_request = getattr(self.app, "show_request", None)
        if show_request is None:
            self.notify(
                f"No Logs screen in this build: edgewatch tail --request-id {request_id}",
                title="Logs",
                markup=False,
            )
            return
        show_request(request_id)

    # -- replay --------------------------------------------------------------------------------

    def action_replay(self) -> None:
        """R: the selected messages, else all (matching the filter, if one is set)."""
        if self.read_only:
            self.notify(READ_ONLY_REFUSAL, title="Replay refused", severity="error", markup=False)
            return
        if self.busy is not None:
            self.notify(f"A replay is {self.busy} already.", title="Replay", markup=False)
            return
        ids = [mid for mid in self.messages if mid in self.selected]
        self.busy = "being prepared"
        self._show_status(Text("Planning the replay and running its dry run…"))
        self._prepare(ids, self.filter.expression if self.filter and not ids else None)

    def _options(self) -> ReplayOptions:
        return replay_options(self.replay_settings, read_only=self.read_only)

    async def _run_engine(
        self, engine: ReplayEngine, on_event: Callable[[ReplayEvent], None] | None = None
    ) -> ReplayResult:
        """Run ``engine`` in a task of its own: a cancelled worker (the app quitting) cannot cut
        a batch in half; :meth:`release_browsed` cancels it gracefully and waits for it."""
        task = asyncio.ensure_future(engine.run(on_event))
        self._runs[engine] = task

        def ended(done: asyncio.Future[Any]) -> None:
            self._runs.pop(engine, None)
            _retrieved(done)

        task.add_done_callback(ended)
        return await asyncio.shield(task)

    @work(group=REPLAY_GROUP, exclusive=True, exit_on_error=False, name="dlq-replay-plan")
    async def _prepare(self, ids: list[str], expression: str | None) -> None:
        try:
            selection = (
                Selection.build(message_ids=ids)
                if ids
                else Selection.build(filters=[expression] if expression else ())
            )
            if not ids:  # the engine's dry run receives: it must see what this screen holds
                await self.browser.release()
                self.post_message(self.Released())
            plan = await plan_replay(
                self.clients,
                self.target.url,
                selection=selection,
                options=self._options(),
                mode="client",
            )
            native = await offer_native(self.clients, plan)  # asks AWS only for "all"
            if ids:
                held = [self.browser.messages[i] for i in ids if i in self.browser.messages]
                preview = preview_held(plan, held)
            else:
                preview = await self._run_engine(ReplayEngine(self.clients, plan.with_dry_run()))
        except (ReplayError, FilterError) as exc:
            self.post_message(self.Failed("replay", str(exc)))
            return
        except Exception as exc:
            self.post_message(self.Failed("replay", describe_error(exc)))
            return
        self.post_message(self.PreviewReady(plan, preview, ids, native))

    @on(Released)
    def _released(self) -> None:
        self.messages.clear()
        self.selected.clear()
        self.exhausted = False
        self._fill_table()

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        if message.preview.error:
            self._failed_replay(message.preview.error)
            return
        self._show_status(Text("Waiting for confirmation…"))
        dialog = ReplayConfirmScreen(message.plan, message.preview, message.native)

        def decided(plan: ReplayPlan | None) -> None:
            """``plan``: the client-side one, or the native one the operator chose instead."""
            if plan is not None:
                self.start_replay(plan, message.ids, dialog.count)
            else:
                self.busy = None
                self._show_status(Text("Replay cancelled: nothing moved.", style="italic"))
                if not self.messages:
                    self.load()

        self.app.push_screen(dialog, decided)

    def start_replay(self, plan: ReplayPlan, ids: list[str], expected: int) -> None:
        self.busy = "running"
        self.result = None
        self._total = max(expected, 1)
        self.query_one("#dlq-progress", ProgressBar).update(total=self._total, progress=0)
        self._show_status(Text("Replaying… esc cancels (the batches in flight finish)"))
        self._replay(plan, ids)

    @work(group=REPLAY_GROUP, exclusive=True, exit_on_error=False, name="dlq-replay")
    async def _replay(self, plan: ReplayPlan, ids: list[str]) -> None:
        held = self.browser.take(ids) if ids else []
        for mid in ids:  # handed over: the engine holds (and releases) them now
            self.messages.pop(mid, None)
            self.selected.discard(mid)
        engine = ReplayEngine(self.clients, plan, held=held)
        self.engine = engine
        await self._run_engine(engine, self._replay_event)

    def _replay_event(self, event: ReplayEvent) -> None:
        if isinstance(event, ReplayProgress):
            self.post_message(self.Progressed(event))
        elif isinstance(event, ReplayFinished):
            self.post_message(self.Done(event.result))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        p = message.progress
        done = p.moved + p.failed + p.skipped + p.duplicated + p.would_move
        self._total = max(self._total, done + (p.remaining or 0))
        self.query_one("#dlq-progress", ProgressBar).update(total=self._total, progress=done)
        if self.busy == "running":
            self._show_status(progress_text(p, dry_run=False, palette=self.palette))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.show_result(message.result)

    def show_result(self, result: ReplayResult) -> None:
        """The summary at the end; the list is read again (moved messages are gone)."""
        self.busy = None
        self.engine = None
        self.result = result
        palette = self.palette
        summary = summary_text(result, palette)
        self._show_status(summary)
        self.notify(
            summary.plain.split("\n", 1)[0],
            title="Replay",
            severity="information" if result.ok and not result.cancelled else "warning",
            markup=False,
        )
        self._fill_table()
        self.load()

    def _show_status(self, text: Text) -> None:
        self.query_one("#dlq-replay").display = True
        self.query_one("#dlq-progress").display = self.busy == "running" or self.result is not None
        self.query_one("#dlq-counts", TextStatic).show(text, layout=True)
        self.refresh_bindings()

    def _failed_replay(self, error: str) -> None:
        self.busy = None
        self._show_status(Text.assemble(("Replay not started: ", "bold"), escape(error)))
        self.notify(error, title="Replay", severity="error", markup=False)
        if not self.messages:
            self.load()

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        if message.what == "replay":
            self._failed_replay(message.error)
            return
        self.loading = False
        self.exhausted = True
        self._fill_table()
        self.notify(message.error, title="DLQ browse failed", severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """The safety net: an unexpected error in a worker is a notification, not a crash."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.group not in (BROWSE_GROUP, REPLAY_GROUP):
            return
        error = worker.error
        text = f"{type(error).__name__}: {error}" if error else "unknown error"
        self.post_message(self.Failed("browse" if worker.group == BROWSE_GROUP else "replay", text))

    # -- leaving -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "more":
            return None if self.exhausted or self.loading else True
        if action == "replay" and self.busy is not None:
            return None
        return True

    def action_back(self) -> None:
        """Esc: close the filter, cancel a running replay, leave full screen, or leave."""
        if self.query_one("#dlq-filter-input").display:
            self._close_filter()
            return
        if self.busy == "running" and self.engine is not None:
            self.engine.cancel()
            self._show_status(Text("Cancelling: finishing the batches in flight…"))
            return
        if self.has_class("-zoom"):
            self.action_details()
            return
        if self.busy is not None:
            self.notify("Wait for the dry run to finish.", title="DLQ", markup=False)
            return
        self.release_browsed()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        """However the screen goes (the app quitting with it on the stack), let go of the DLQ."""
        self.release_browsed()

    def release_browsed(self) -> None:
        """Give every browsed message back to the DLQ, and stop any replay gracefully.

        Runs as work the app finishes before it closes its clients (it outlives the screen): a
        running dry run or replay is cancelled and finishes its batches in flight (an
        acknowledged send always gets its delete), a page being received is released too.
        """
        if self._let_go:
            return
        self._let_go = True
        workers = self.app.workers
        for group in (BROWSE_GROUP, REPLAY_GROUP):  # nothing new starts; engines run on
            workers.cancel_group(self, group)
        runs = list(self._runs.values())
        for engine in self._runs:
            engine.cancel()
        waits: list[asyncio.Future[Any]] = [*runs]
        if self._receiving is not None:
            waits.append(self._receiving)
        browser, app = self.browser, self.app

        async def release() -> None:
            try:
                if waits:
                    await asyncio.wait(waits)  # engines release what they hold as they end
                await browser.aclose()
            except asyncio.CancelledError:  # past the app's exit deadline: stop waiting
                for waited in waits:
                    waited.cancel()
                raise
            except Exception as exc:
                with contextlib.suppress(Exception):  # the app may be gone already
                    app.notify(
                        f"Browsed messages could not be released now ({describe_error(exc)}); "
                        f"they return by themselves within {browser.visibility_timeout} s.",
                        title="DLQ",
                        severity="warning",
                        markup=False,
                    )

        app.finish_before_exit(release(), name="dlq-release")  # type: ignore[attr-defined]
