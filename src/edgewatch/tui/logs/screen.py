"""The Logs screen: the live tail of the worker logs, filterable, with a detail panel.

It reads the app's one :class:`~edgewatch.tui.logs.service.LogService` (the buffer it already
holds, then each new batch) and never reads AWS itself; a request-ID filter also starts a
one-shot search of the sources for that request's older lines (a DLQ message's failures are
usually older than the live buffer).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from edgewatch.logs.messages import expand
from edgewatch.logs.models import LogBatch, LogLine
from edgewatch.logs.search import LogQuery
from edgewatch.tui.common.footer import AppFooter
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.logs import text as log_text
from edgewatch.tui.logs.detail import LogDetail
from edgewatch.tui.logs.service import REQUEST_SEARCH_S, LogService
from edgewatch.tui.logs.view import LogView

SEARCH_GROUP = "log-search"
SEARCH_WINDOW = f"{REQUEST_SEARCH_S / 3600:g} h"
FILTER_HELP = "request ID (a UUID, or id:…) or text · enter applies · empty clears · esc cancels"


class NewLinesBar(TextStatic):
    """Shows "▼ 42 new lines" while not following; a click follows again."""

    class Pressed(Message):
        pass

    def on_click(self) -> None:
        self.post_message(self.Pressed())


class LogsScreen(Screen[None]):
    """Live worker logs; ``query`` starts it filtered (cross-navigation to a request)."""

    HELP_NAME: ClassVar[str] = "Worker logs"  # the help screen lists this screen's keys
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="logs.back"),
        Binding("slash", "filter", "Filter", id="logs.filter", key_display="/"),
        Binding("enter", "details", "Details", id="logs.details"),
        Binding("c", "copy_request_id", "Copy ID", id="logs.copy"),
        Binding("f", "follow", "Follow", id="logs.follow"),
        Binding("p", "pause_tail", "Pause", id="logs.pause"),
        Binding("p", "resume_tail", "Resume", id="logs.resume"),
    ]

    def __init__(self, service: LogService, *, query: LogQuery | None = None) -> None:
        super().__init__(id=None)
        self.service = service
        self.query_filter = query
        self.search_state: str | None = None  # what the request search is doing, if any

    def compose(self) -> ComposeResult:
        yield TextStatic(id="logs-status")
        yield TextStatic(id="logs-filter-line")
        yield Input(placeholder=FILTER_HELP, id="logs-filter-input")
        with Horizontal(id="logs-body"):
            with Vertical(id="logs-main"):
                yield LogView(maxlen=self.service.feed.buffer.maxlen, id="log-view")
                yield NewLinesBar(id="logs-new")
            yield LogDetail(id="log-detail")
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#logs-filter-input").display = False
        self.query_one(LogDetail).display = False
        self.query_one(NewLinesBar).display = False
        self.service.lines.subscribe(self, self._batch, immediate=True)
        self.app.theme_changed_signal.subscribe(self, lambda _: self._restyle())
        self.set_query(self.query_filter)
        self.view.focus()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    @property
    def detail(self) -> LogDetail:
        return self.query_one(LogDetail)

    # -- data ----------------------------------------------------------------------------------

    def _matching(self, lines: tuple[LogLine, ...] | list[LogLine]) -> list[LogLine]:
        query = self.query_filter
        if query is None:
            return list(lines)
        return [line for line in lines if query.matches(line)]

    def _batch(self, batch: LogBatch) -> None:
        if batch.lines:
            self.view.append(self._matching(batch.lines))
        self._show_state()

    def set_query(self, query: LogQuery | None) -> None:
        """Show the buffered lines that match ``query`` (``None``: all), then follow."""
        self.query_filter = query
        self.workers.cancel_group(self, SEARCH_GROUP)
        self.search_state = None
        by_id = query is not None and bool(query.request_id or query.message_id or query.any_ids)
        if by_id and query is not None and query.any_ids:
            # A message's jump: widen to the whole invocations its buffered lines belong to.
            self.query_filter = query = expand(query, list(self.service.feed.buffer))
        self.view.set_lines(self._matching(list(self.service.feed.buffer)), dedupe=by_id)
        if by_id and query is not None:
            self._start_search(query)
        self._show_state()

    def _start_search(self, query: LogQuery) -> None:
        if not self.service.available:
            return
        self.search_state = f"searching the last {SEARCH_WINDOW}…"
        self.run_worker(
            self._search(query),
            name="log-search",
            group=SEARCH_GROUP,
            description="request search",
            exclusive=True,
            exit_on_error=False,
        )

    async def _search(self, query: LogQuery) -> None:
        """Merge older matching lines as pages arrive; problems go to the filter line.

        A search by message ID runs again for the invocations it found (their START, END and
        REPORT lines do not name the message), and the filter widens to them.
        """
        problem: str | None = None
        ignored: str | None = None  # the endpoint sent what the filter pattern excludes (moto)
        found: list[LogLine] = []
        searched = False
        try:
            for _ in range(2):
                tail = await self.service.search(query)
                if tail is None:  # no source to search (or not started): the buffer is all
                    break
                searched = True
                try:
                    async for batch in tail:
                        if batch.lines:
                            found.extend(batch.lines)
                            self.view.merge(batch.lines)
                        for notice in batch.notices:
                            if notice.kind == "error":
                                problem = f"search failed: {notice.source}: {notice.message}"
                            elif notice.kind == "unfiltered":
                                ignored = "the endpoint ignored the filter; checked here"
                        self._show_state()
                finally:
                    await tail.aclose()
                wider = (
                    expand(query, [*found, *self.service.feed.buffer]) if query.any_ids else query
                )
                if wider == query:
                    break
                added = tuple(i for i in wider.any_ids if i not in query.any_ids)
                self.query_filter = wider
                self.view.merge(self._matching(list(self.service.feed.buffer)))
                self.view.merge([line for line in found if wider.matches(line)])
                query = LogQuery(any_ids=added)
        except Exception as exc:  # shown, never a traceback
            problem = f"search failed: {type(exc).__name__}: {exc}"
        if not searched and problem is None:
            self.search_state = None
            self._show_state()
            return
        done = f"searched the last {SEARCH_WINDOW}" + (f" ({ignored})" if ignored else "")
        self.search_state = problem or done
        self._show_state()

    # -- what the lines around the view say ---------------------------------------------------

    def _show_state(self) -> None:
        palette = Palette.from_app(self.app)
        self.query_one("#logs-status", TextStatic).show(self._status_text(palette))
        filter_line = self.query_one("#logs-filter-line", TextStatic)
        filter_line.display = self.query_filter is not None
        if self.query_filter is not None:
            filter_line.show(self._filter_text(palette))
        bar = self.query_one(NewLinesBar)
        new = self.view.new_lines
        bar.display = not self.view.follow
        if not self.view.follow:
            what = f"▼ {new:,} new line{'s' if new != 1 else ''}" if new else "▼ not following"
            bar.show(Text.assemble((what, "bold"), " · f or End to follow"))

    def _status_text(self, palette: Palette) -> Text:
        feed = self.service.feed
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("Logs", style="bold")
        text.append(" · ")
        if feed.unavailable is not None:
            text.append(f"● {log_text.literal(feed.unavailable)}", style=f"bold {palette.warn}")
            self._append_sources(text, palette)
            return text
        if feed.failed is not None:
            text.append("● stopped", style=f"bold {palette.crit}")
        elif feed.paused:
            text.append("● paused", style=f"bold {palette.warn}")
        elif not feed.started:
            text.append("● not started", style=palette.muted)
        elif self.view.follow:
            text.append("● following", style=f"bold {palette.ok}")
        else:
            text.append("● live, not following", style=f"bold {palette.accent}")
        shown, held = len(self.view.lines), len(feed.buffer)
        text.append(" · ", style=palette.muted)
        if self.query_filter is None:
            text.append(f"{held:,} lines (max {feed.buffer.maxlen:,})")
        else:
            text.append(f"{shown:,} matching · {held:,} buffered")
        status = feed.status()
        if status.text and status.text != "not started":
            style = {"crit": f"bold {palette.crit}", "warn": f"bold {palette.warn}"}
            text.append(" · ", style=palette.muted)
            text.append(log_text.literal(status.text), style=style.get(status.level, palette.muted))
        self._append_sources(text, palette)
        return text

    def _append_sources(self, text: Text, palette: Palette) -> None:
        """The groups (or files) last: at 80 columns a long list is what the ellipsis cuts, never
        the follow state or the line count before it."""
        sources = self.service.feed.sources
        if sources:
            text.append(" · ", style=palette.muted)
            text.append(log_text.sources_label(sources), style=palette.muted)

    def _filter_text(self, palette: Palette) -> Text:
        assert self.query_filter is not None
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("filter ", style=palette.muted)
        text.append(log_text.describe_query(self.query_filter), style=f"bold {palette.accent}")
        if self.search_state:
            text.append(" · ", style=palette.muted)
            text.append(log_text.literal(self.search_state))
        text.append(" · / to change, empty to clear", style=palette.muted)
        return text

    def _restyle(self) -> None:
        self.detail.restyle()
        self._show_state()

    # -- events --------------------------------------------------------------------------------

    @on(LogView.FollowChanged)
    def _follow_changed(self) -> None:
        self._show_state()

    @on(LogView.CursorMoved)
    def _cursor_moved(self, event: LogView.CursorMoved) -> None:
        if self.detail.display:
            self.detail.show(event.line)

    @on(LogView.Opened)
    def _opened(self, event: LogView.Opened) -> None:
        self._open_detail(event.line)

    @on(NewLinesBar.Pressed)
    def _bar_pressed(self) -> None:
        self.action_follow()

    @on(Input.Submitted, "#logs-filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        try:
            query = log_text.parse_filter(event.value)
        except ValueError as exc:
            self.notify(str(exc), title="Filter", severity="warning", markup=False)
            return
        self._close_input()
        self.set_query(query)

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """One key for pause and resume; the footer shows the one that applies."""
        if action == "pause_tail":
            return not self.service.paused
        if action == "resume_tail":
            return self.service.paused
        return True

    def _close_input(self) -> None:
        self.query_one("#logs-filter-input").display = False
        self.view.focus()

    def action_back(self) -> None:
        """Esc closes what is open (the filter input, the panel), then leaves the screen."""
        if self.query_one("#logs-filter-input").display:
            self._close_input()
        elif self.detail.display:
            self.detail.display = False
        else:
            self.dismiss()

    def action_filter(self) -> None:
        field = self.query_one("#logs-filter-input", Input)
        query = self.query_filter
        if query is None:
            field.value = ""
        elif query.request_id is not None:
            field.value = query.request_id
        else:
            field.value = query.text or ""
        field.display = True
        field.focus()

    def _open_detail(self, line: LogLine | None) -> None:
        if line is None:
            self.notify("No line to show yet.", title="Details", markup=False)
            return
        self.view.pin()
        self.detail.display = True
        self.detail.show(line)

    def action_details(self) -> None:
        """Enter: the line under the cursor in full (again: close the panel)."""
        line = self.view.selected
        if self.detail.display and line is self.detail.line:
            self.detail.display = False
            return
        self._open_detail(line)

    def action_copy_request_id(self) -> None:
        line = self.view.selected
        if line is None or not line.request_id:
            self.notify(
                "This line has no request ID." if line else "No line selected.",
                title="Copy",
                severity="warning",
                markup=False,
            )
            return
        self.app.copy_to_clipboard(line.request_id)
        self.notify(f"Request ID {line.request_id} copied.", title="Copied", markup=False)

    def action_follow(self) -> None:
        self.view.follow_tail()
        self._show_state()

    def action_pause_tail(self) -> None:
        self.service.pause()
        self.refresh_bindings()  # only here: the footer rebuilds itself on every call

    def action_resume_tail(self) -> None:
        self.service.resume()
        self.refresh_bindings()
