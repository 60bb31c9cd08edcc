"""The DLQ screen: browse a dead-letter queue, inspect a message, jump to its logs, replay.

SQS has no peek: browsing *receives*, so every message shown has its receive count raised and is
held invisible until the operator leaves (then released) or replays it (then handed to the
engine with its lease). The screen says so on its second line. Leaving includes quitting the
app: the release (and the end of a running replay's batches in flight) is work the app finishes,
within a deadline, before it closes its clients. The state and all AWS work are the session's
(:class:`~edgewatch.dlq.session.DlqSession`); this screen composes a :class:`MessageList`, a
detail panel and a :class:`ReplayPanel`, runs the session's calls in workers that post the typed
messages below, and turns an error into a notification, never a traceback. Message content is
rendered as ``Text`` only.

After a replay the screen watches the DLQ for ``replay.bounce_watch_s`` (the session's own
browsing, :func:`edgewatch.dlq.bounce.watch_held`): the replay bar says "N of M came back so
far" as they arrive, and at the end whether the fix worked (none came back) or not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input
from textual.worker import Worker

from edgewatch.aws import AwsClients, describe_error
from edgewatch.config import ReplaySettings
from edgewatch.display.escape import escape, safe
from edgewatch.dlq.bounce import BounceReport, BounceWatcher, moved_by, watch_held
from edgewatch.dlq.browse import BrowsePage
from edgewatch.dlq.replay import (
    DlqMessage,
    FilterError,
    ReplayError,
    ReplayEvent,
    ReplayFinished,
    ReplayPlan,
    ReplayProgress,
    ReplayResult,
    replay_options,
    request_id_of,
)
from edgewatch.dlq.session import DlqSession, PreparedReplay
from edgewatch.identifiers import queue_name_from_url
from edgewatch.logs.messages import LastError, MessageLogs, ids_of, search_messages
from edgewatch.metrics.models import QueueStatus
from edgewatch.tui.common.footer import AppFooter
from edgewatch.tui.common.messages import ShowMessage
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.common.workers import worker_failure
from edgewatch.tui.dlq.message_list import MessageList
from edgewatch.tui.dlq.replay_confirm import ReplayConfirmScreen
from edgewatch.tui.dlq.replay_panel import ReplayPanel
from edgewatch.tui.dlq.text import bounce_text, detail_text, progress_text, summary_text

if TYPE_CHECKING:
    from edgewatch.tui.app import EdgewatchApp

BROWSE_GROUP = "dlq-browse"
REPLAY_GROUP = "dlq-replay"
WHY_GROUP = "dlq-why"
BOUNCE_GROUP = "dlq-bounce"
PAGE = 50
AGE_TICK_S = 1.0  # the Age column ages live (only its changed cells are redrawn)
FIXED_COLUMNS = 40  # sel, rcv, age, group, cell padding, scrollbar, borders: the rest is body
FILTER_HELP = (
    "text · $.field OP value (== != > >= < <=) · @Attribute == value — enter applies, "
    "empty clears, esc cancels"
)
READ_ONLY_REFUSAL = (
    "Read-only mode: replay is refused (it sends to a queue and deletes from the DLQ). "
    "Browsing is allowed; restart without --read-only to replay."
)


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
        name = queue.dlq.name if queue.dlq is not None else queue_name_from_url(queue.dlq_url)
        return DlqTarget(queue.dlq_url, name)
    return f"{queue.name} has no dead-letter queue (no RedrivePolicy)."


class DlqScreen(Screen[None]):
    """One DLQ: the held messages, a detail panel, selection, filter and replay."""

    CSS_PATH = "screen.tcss"
    HELP_NAME: ClassVar[str] = "DLQ"  # the help screen lists this screen's keys
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="dlq.back"),
        Binding("space", "toggle_select", "Select", id="dlq.select"),
        Binding("slash", "filter", "Filter", id="dlq.filter", key_display="/"),
        Binding("enter", "details", "Details", id="dlq.details"),
        Binding("l", "logs", "Logs of message", id="dlq.logs"),
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
        def __init__(self, prepared: PreparedReplay) -> None:
            super().__init__()
            self.prepared = prepared

    class Released(Message):
        """The session let go of everything (an "all" dry run must see every message)."""

    class Progressed(Message):
        def __init__(self, progress: ReplayProgress) -> None:
            super().__init__()
            self.progress = progress

    class Done(Message):
        def __init__(self, result: ReplayResult) -> None:
            super().__init__()
            self.result = result

    class BounceScanned(Message):
        """The bounce watch looked again (``page``: what it received); ``watching``: not over."""

        def __init__(self, report: BounceReport, page: BrowsePage | None, watching: bool) -> None:
            super().__init__()
            self.report = report
            self.page = page
            self.watching = watching

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
        self.target = target
        self.read_only = read_only
        self.clock = clock
        self.autoload = autoload  # False: tests feed messages with show_messages()
        settings = replay or ReplaySettings()
        self.replay_settings = settings
        options = replay_options(settings, read_only=read_only)
        self.session = DlqSession(
            clients,
            target.url,
            options=options,
            wait_time_s=wait_time_s,
            window=settings.browse_window,
        )
        self._why: dict[str, LastError | None] = {}  # message ID → why it failed (logs)
        self._why_state: str | None = None
        if read_only:  # no "R Replay" in the footer; R still says why it is refused
            keys = self._bindings.key_to_bindings
            keys["R"] = [
                replace(b, show=False, description="Replay (refused: read-only)")
                for b in keys.get("R", [])
            ]
        self._more_asked = False  # m was pressed: say so if the DLQ had nothing more
        self.bounce: BounceReport | None = None  # the watch after the last replay
        self.bounce_watching = False
        self._summary: Text | None = None  # the last replay's summary (the bounce line joins it)

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TextStatic(id="dlq-title")
        yield TextStatic(id="dlq-note")
        yield Input(placeholder=FILTER_HELP, id="dlq-filter-input")
        yield MessageList(id="dlq-list")
        with VerticalScroll(id="dlq-detail-box"):
            yield TextStatic(id="dlq-detail")
        yield ReplayPanel(id="dlq-replay")
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#dlq-filter-input").display = False
        self.query_one("#dlq-detail-box").border_title = "Message"
        self.table.focus()
        self._show_header()
        self._show_detail()
        self.set_interval(AGE_TICK_S, self._tick_ages, name="dlq-ages")
        if self.autoload:
            self.load()

    def _tick_ages(self) -> None:
        self.table.tick_ages(self.session, self.clock())

    def on_resize(self) -> None:
        self._fill_table()

    @property
    def table(self) -> MessageList:
        return self.query_one("#dlq-list", MessageList)

    @property
    def panel(self) -> ReplayPanel:
        return self.query_one("#dlq-replay", ReplayPanel)

    @property
    def palette(self) -> Palette:
        return Palette.from_app(self.app)

    def highlighted(self) -> DlqMessage | None:
        mid = self.table.highlighted_id()
        return None if mid is None else self.session.messages.get(mid)

    def _fill_table(self) -> None:
        width = max(20, self.app.size.width - FIXED_COLUMNS)
        self.table.fill(self.session, now=self.clock(), body_width=width, palette=self.palette)
        self._show_header()
        self._show_detail()

    def _show_header(self) -> None:
        palette, session = self.palette, self.session
        title = Text()
        title.append("DLQ ", style="bold")
        title.append(escape(self.target.name, one_line=True), style=f"bold {palette.accent}")
        title.append(f" · {len(session.shown())} shown")
        if session.filter is not None:
            title.append(f" of {len(session.messages)} · filter ")
            title.append(escape(session.filter.expression, one_line=True), style="bold")
        if session.selected:
            title.append(f" · {len(session.selected)} selected", style=f"bold {palette.accent}")
        if session.total is not None or session.given_back:
            title.append(f" · {session.held:,} held of ~{session.total or 0:,} in the DLQ")
            if session.held >= session.window:
                title.append(f" (window {session.window:,})", style=palette.muted)
        if session.loading:
            title.append(" · receiving…", style=palette.muted)
        elif session.failure is not None:
            title.append(" · receive failed: ", style=f"bold {palette.crit}")
            title.append(escape(session.failure, one_line=True), style=palette.crit)
            title.append(" · r retries", style=f"bold {palette.crit}")
        elif not session.exhausted and session.messages:
            title.append(" · m: more", style=palette.muted)
        elif session.exhausted:
            title.append(" · all visible messages shown", style=palette.muted)
        if self.read_only:
            title.append(" · READ-ONLY: browse only", style=f"bold {palette.warn}")
        self.query_one("#dlq-title", TextStatic).show(title)
        self.refresh_bindings()  # "m More" greys out once the DLQ is exhausted
        note = safe(" ".join(session.browser.warnings), palette.warn)
        self.query_one("#dlq-note", TextStatic).show(note, layout=True)

    def _show_detail(self) -> None:
        msg = self.highlighted()
        detail = self.query_one("#dlq-detail", TextStatic)
        box = self.query_one("#dlq-detail-box")
        if msg is None:
            failure = self.session.failure
            if failure is not None and not self.session.loading:
                shown = Text("Could not receive from this DLQ: ", style=f"bold {self.palette.crit}")
                shown.append(escape(failure))
                shown.append("\nThe list is unknown, not empty. Press r to retry.")
                detail.show(shown, layout=True)
                box.border_subtitle = ""
                return
            empty = "Receiving…" if self.session.loading else "No message to show."
            detail.show(safe(empty, self.palette.muted), layout=True)
            box.border_subtitle = ""
            return
        why = self._why.get(msg.message_id)
        state = self._why_state if why is None else None
        text = detail_text(msg, now=self.clock(), palette=self.palette, why=why, why_state=state)
        detail.show(text, layout=True)
        box.border_subtitle = "l: its logs · enter: full screen"

    @on(DataTable.RowHighlighted, "#dlq-list")
    def _highlight_changed(self) -> None:
        self._show_detail()

    # -- browsing ------------------------------------------------------------------------------

    def show_messages(self, messages: Sequence[DlqMessage], *, exhausted: bool) -> None:
        """Add received messages to the list (the browse worker's page, or a test's)."""
        self.session.add(list(messages), exhausted=exhausted)
        self._fill_table()
        self._explain(messages)

    def load(self, size: int = PAGE) -> None:
        """Receive the next page; one load at a time (a cancelled receive would hide messages)."""
        if not self.session.can_load():
            return
        self.session.loading = True
        self._show_header()
        self._browse(size)

    @work(group=BROWSE_GROUP, exclusive=True, exit_on_error=False, name="dlq-browse")
    async def _browse(self, size: int) -> None:
        # The session shields the receive: leaving the screen cancels this worker, but a receive
        # cut off mid-flight would hide its messages for the whole visibility timeout.
        try:
            page = await self.session.next_page(size)
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
        if self._more_asked and not message.messages:
            held = self.session.held
            self.notify(
                f"Nothing more: the DLQ gave no new message (all {held} visible ones are "
                "shown). Messages in flight elsewhere appear once they are visible again.",
                title="DLQ",
                markup=False,
            )
        self._more_asked = False

    def action_more(self) -> None:
        """m: receive the next page; once all are shown, look again (new ones may have come)."""
        if not self.session.can_load():
            return
        self._more_asked = True
        self.load()

    def refresh_data(self) -> bool:
        """The app's ``r`` (Refresh) on this screen: after a failed receive, receive again.
        Whether it did (the app then says nothing more about a pause)."""
        if self.session.failure is not None and self.session.can_load():
            self.load()
            return True
        return False

    # -- selection, filter, detail, logs -------------------------------------------------------

    def action_toggle_select(self) -> None:
        msg = self.highlighted()
        if msg is None:
            return
        selected = self.session.toggle(msg.message_id)
        self.table.mark(msg, selected=selected, palette=self.palette)
        self._show_header()

    def action_filter(self) -> None:
        field = self.query_one("#dlq-filter-input", Input)
        current = self.session.filter
        field.value = current.expression if current else ""
        field.display = True
        field.focus()

    @on(Input.Submitted, "#dlq-filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        try:
            self.session.set_filter(event.value)
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
        """The worker logs of the highlighted message: lines naming its message ID or request
        ID, and the whole invocations that handled it (its failures are there)."""
        msg = self.highlighted()
        if msg is None:
            return
        self.post_message(ShowMessage(msg.message_id, request_id_of(msg)))

    # -- why it failed: the consumer's logs, searched once per page --------------------------

    class Explained(Message):
        def __init__(self, found: MessageLogs) -> None:
            super().__init__()
            self.found = found

    def _explain(self, messages: Sequence[DlqMessage]) -> None:
        logs = getattr(self.app, "logs", None)
        runtime = getattr(logs, "runtime", None)
        if logs is None or runtime is None or not messages:
            return
        buffered = MessageLogs(tuple(logs.feed.buffer))
        for m in messages:
            self._why[m.message_id] = buffered.last_error(m.message_id, request_id_of(m))
        if not self.autoload:  # messages fed by a test: the live buffer only, deterministic
            return
        self._why_state = "searching the worker logs…"
        ids = [i for m in messages for i in ids_of(m.message_id, request_id_of(m))]
        self.run_worker(
            self._search_why(runtime, ids, tuple(logs.feed.buffer)),
            group=WHY_GROUP,
            name="dlq-why",
            exit_on_error=False,
        )

    async def _search_why(self, runtime: Any, ids: list[str], buffered: tuple[Any, ...]) -> None:
        found = await search_messages(runtime, ids)
        merged = {(line.log_group, line.event_id): line for line in (*buffered, *found.lines)}
        lines = tuple(sorted(merged.values(), key=lambda line: (line.timestamp, line.event_id)))
        self.post_message(self.Explained(MessageLogs(lines, found.problem)))

    @on(Explained)
    def _explained(self, message: Explained) -> None:
        for m in self.session.messages.values():
            error = message.found.last_error(m.message_id, request_id_of(m))
            if error is not None or m.message_id not in self._why:
                self._why[m.message_id] = error
        problem = message.found.problem
        self._why_state = f"logs: {problem}" if problem else None
        self._show_detail()

    # -- replay --------------------------------------------------------------------------------

    def action_replay(self) -> None:
        """R: the selected messages, else all (matching the filter, if one is set)."""
        session = self.session
        if self.read_only:
            self.notify(READ_ONLY_REFUSAL, title="Replay refused", severity="error", markup=False)
            return
        if session.busy is not None:
            self.notify(f"A replay is {session.busy} already.", title="Replay", markup=False)
            return
        ids, expression = session.replay_scope()
        session.busy = "being prepared"
        self._show_status(Text("Planning the replay and running its dry run…"))
        self._prepare(ids, expression)

    @work(group=REPLAY_GROUP, exclusive=True, exit_on_error=False, name="dlq-replay-plan")
    async def _prepare(self, ids: list[str], expression: str | None) -> None:
        try:

            def released() -> None:
                self.post_message(self.Released())

            prepared = await self.session.prepare(ids, expression, on_released=released)
        except (ReplayError, FilterError) as exc:
            self.post_message(self.Failed("replay", str(exc)))
            return
        except Exception as exc:
            self.post_message(self.Failed("replay", describe_error(exc)))
            return
        self.post_message(self.PreviewReady(prepared))

    @on(Released)
    def _released(self) -> None:
        self._fill_table()

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        prepared = message.prepared
        if prepared.preview.error:
            self._failed_replay(prepared.preview.error)
            return
        self._show_status(Text("Waiting for confirmation…"))
        dialog = ReplayConfirmScreen(prepared.plan, prepared.preview, prepared.native)

        def decided(plan: ReplayPlan | None) -> None:
            """``plan``: the client-side one, or the native one the operator chose instead."""
            if plan is not None:
                self.start_replay(plan, prepared.ids, dialog.count)
            else:
                self.session.finished(None)
                self._show_status(Text("Replay cancelled: nothing moved.", style="italic"))
                if not self.session.messages:
                    self.load()

        self.app.push_screen(dialog, decided)

    def start_replay(self, plan: ReplayPlan, ids: list[str], expected: int) -> None:
        self._stop_bounce()
        self.session.start()
        self.panel.start(expected)
        self._show_status(Text("Replaying… esc cancels (the batches in flight finish)"))
        self._replay(plan, ids)

    @work(group=REPLAY_GROUP, exclusive=True, exit_on_error=False, name="dlq-replay")
    async def _replay(self, plan: ReplayPlan, ids: list[str]) -> None:
        await self.session.run(plan, ids, self._replay_event)

    def _replay_event(self, event: ReplayEvent) -> None:
        if isinstance(event, ReplayProgress):
            self.post_message(self.Progressed(event))
        elif isinstance(event, ReplayFinished):
            self.post_message(self.Done(event.result))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        p = message.progress
        self.panel.advance(
            p.moved + p.failed + p.skipped + p.duplicated + p.would_move, p.remaining
        )
        if self.session.busy == "running":
            self._show_status(progress_text(p, dry_run=False, palette=self.palette))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.show_result(message.result)

    def show_result(self, result: ReplayResult) -> None:
        """The summary at the end; the list is read again (moved messages are gone)."""
        self.session.finished(result)
        summary = summary_text(result, self.palette)
        self._summary = summary
        self._show_status(summary)
        self.notify(
            summary.plain.split("\n", 1)[0],
            title="Replay",
            severity="information" if result.ok and not result.cancelled else "warning",
            markup=False,
        )
        self._fill_table()
        self.load()
        moved = moved_by(result)
        watch_s = self.replay_settings.bounce_watch_s
        if moved and watch_s > 0 and not result.plan.dry_run and result.plan.mode == "client":
            watcher = BounceWatcher(self.session.clients, self.target.url, moved)
            watcher.label = self.target.name
            self.bounce, self.bounce_watching = watcher.report(0.0), True
            self._show_bounce()
            self._watch_bounce(watcher, watch_s, self.replay_settings.bounce_interval_s)

    # -- did the replay fix it: replayed messages coming back ---------------------------------

    @work(group=BOUNCE_GROUP, exclusive=True, exit_on_error=False, name="dlq-bounce")
    async def _watch_bounce(self, watcher: BounceWatcher, duration: float, interval: float) -> None:
        def scanned(report: BounceReport, page: BrowsePage | None) -> None:
            self.post_message(self.BounceScanned(report, page, watching=True))

        report = await watch_held(
            self.session, watcher, duration, interval_s=interval, page_size=PAGE, on_scan=scanned
        )
        self.post_message(self.BounceScanned(report, None, watching=False))

    @on(BounceScanned)
    def _bounce_scanned(self, message: BounceScanned) -> None:
        if not self.bounce_watching:  # stopped (a new replay): a late report is stale
            return
        if message.page is not None:
            self._fill_table()
            self._explain(message.page.messages)
        self.bounce, self.bounce_watching = message.report, message.watching
        self._show_bounce()
        if message.watching:
            return
        report = message.report
        if report.came_back:
            text = f"{report.came_back} of {report.replayed} replayed message(s) came back"
            self.notify(
                f"{text}: the fix did not work for them.",
                title="Replay bounce-back",
                severity="warning",
                markup=False,
            )
        elif report.error is None:
            self.notify(
                f"None of the {report.replayed} replayed message(s) came back "
                f"within {report.watched_s:.0f} s.",
                title="Replay bounce-back",
                markup=False,
            )

    def _show_bounce(self) -> None:
        """The replay's summary with the bounce line under its first line."""
        if self.bounce is None or self.session.busy is not None:
            return
        left = self.replay_settings.bounce_watch_s - self.bounce.watched_s
        line = bounce_text(
            self.bounce, watching=self.bounce_watching, left_s=left, palette=self.palette
        )
        lines = (self._summary or Text()).split("\n")
        text = Text("\n").join([lines[0], line, *lines[1:]]) if lines else line
        self._show_status(text)

    def _stop_bounce(self) -> None:
        self.workers.cancel_group(self, BOUNCE_GROUP)
        self.bounce, self.bounce_watching = None, False

    def _show_status(self, text: Text) -> None:
        session = self.session
        self.panel.show(text, progress=session.busy == "running" or session.result is not None)
        self.refresh_bindings()

    def _failed_replay(self, error: str) -> None:
        self.session.finished(None)
        self._show_status(Text.assemble(("Replay not started: ", "bold"), escape(error)))
        self.notify(error, title="Replay", severity="error", markup=False)
        if not self.session.messages:
            self.load()

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        if message.what == "replay":
            self._failed_replay(message.error)
            return
        if message.what == "bounce":
            if self.bounce is not None and self.bounce_watching:
                self.bounce = replace(self.bounce, error=message.error)
                self.bounce_watching = False
                self._show_bounce()
            return
        self.session.browse_failed(message.error)
        self._more_asked = False  # the failure is what it is told, not "nothing more"
        self._fill_table()
        self.notify(message.error, title="DLQ browse failed", severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """The safety net: an unexpected error in a worker is a notification, not a crash."""
        failure = worker_failure(event, (BROWSE_GROUP, REPLAY_GROUP, BOUNCE_GROUP))
        if failure is not None:
            group = event.worker.group
            what = {BROWSE_GROUP: "browse", BOUNCE_GROUP: "bounce"}.get(group, "replay")
            self.post_message(self.Failed(what, failure))

    # -- leaving -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if action == "more":
            return None if session.loading or session.let_go else True
        if action == "replay" and session.busy is not None:
            return None
        return True

    def action_back(self) -> None:
        """Esc: close the filter, cancel a running replay, leave full screen, or leave."""
        if self.query_one("#dlq-filter-input").display:
            self._close_filter()
            return
        if self.session.cancel():
            self._show_status(Text("Cancelling: finishing the batches in flight…"))
            return
        if self.has_class("-zoom"):
            self.action_details()
            return
        if self.session.busy is not None:
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
        remaining = self.session.release()
        if remaining is None:
            return
        workers = self.app.workers
        for group in (BROWSE_GROUP, REPLAY_GROUP, BOUNCE_GROUP):  # nothing new starts; engines on
            workers.cancel_group(self, group)
        app, timeout = cast("EdgewatchApp", self.app), self.session.browser.visibility_timeout

        async def release() -> None:
            try:
                await remaining
            except Exception as exc:
                with contextlib.suppress(Exception):  # the app may be gone already
                    app.notify(
                        f"Browsed messages could not be released now ({describe_error(exc)}); "
                        f"they return by themselves within {timeout} s.",
                        title="DLQ",
                        severity="warning",
                        markup=False,
                    )

        app.finish_before_exit(release(), name="dlq-release")
