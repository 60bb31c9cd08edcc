"""One operator's visit to one DLQ, without Textual: what is held, selected, filtered, replayed.

The console's DLQ screen renders a session and turns keys into its calls; a script can drive the
same visit headless. SQS has no peek, so the session *holds* every message it shows (received,
invisible) until it hands them to a replay or lets go of them all in :meth:`DlqSession.release`.
Receives and engine runs are shielded tasks of the session's own: whoever awaits them may be
cancelled (a screen leaving, the app quitting) without cutting a receive or a batch in half; the
release waits for them before it gives the messages back.

The session holds a bounded *window* of messages (:data:`DEFAULT_WINDOW`, ``replay.browse_window``
in the settings): paging on past it gives the oldest unselected ones back to the DLQ, so memory
and the leases to keep alive stay bounded whatever the DLQ's depth, and :attr:`total` says how
many the DLQ holds. A receive that fails leaves :attr:`failure` set (the list is not "empty", it
is unknown) until the next receive succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from edgewatch.aws import AwsClients
from edgewatch.dlq.browse import BrowsePage, DlqBrowser
from edgewatch.dlq.models import DlqMessage
from edgewatch.dlq.queues import queue_info
from edgewatch.dlq.replay.engine import EventCallback, ReplayEngine
from edgewatch.dlq.replay.events import ReplayOptions, ReplayPlan, ReplayResult
from edgewatch.dlq.replay.plan import NativeOffer, offer_native, plan_replay
from edgewatch.dlq.replay.preview import preview_held
from edgewatch.dlq.selection import MessageFilter, Selection

Busy = Literal["being prepared", "running"]
DEFAULT_WINDOW = 500  # messages held at once (each has a lease to keep alive, and a body)
BROWSE_VISIBILITY_S = 120


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark an outcome seen: a task nobody awaits (the app quitting) must not log a traceback."""
    if not future.cancelled():
        future.exception()


@dataclass(frozen=True, slots=True)
class PreparedReplay:
    """A replay planned and dry-run, waiting for the operator's yes: what would move and how."""

    plan: ReplayPlan
    preview: ReplayResult
    ids: list[str]  # the selected messages it moves; empty: all (matching ``plan``'s filter)
    native: NativeOffer


class DlqSession:
    """The held messages of one DLQ, the selection and filter over them, and one replay at a time.

    State changes only through the methods below, on the event loop's thread; readers (a screen)
    look at the attributes. ``busy`` says whether a replay is being prepared or running.
    """

    def __init__(
        self,
        clients: AwsClients,
        url: str,
        *,
        options: ReplayOptions,
        wait_time_s: int = 1,
        window: int = DEFAULT_WINDOW,
        visibility_timeout_s: int = BROWSE_VISIBILITY_S,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.clients = clients
        self.url = url
        self.options = options
        self.window = window
        self.browser = DlqBrowser(
            clients, url, wait_time_s=wait_time_s, visibility_timeout=visibility_timeout_s
        )
        self.total: int | None = None  # messages in the DLQ (approximate, SQS's own count)
        self.failure: str | None = None  # why the last receive failed; None once one succeeds
        self.given_back = 0  # messages released to stay within the window
        self.messages: dict[str, DlqMessage] = {}  # shown (held by the browser), browse order
        self.selected: set[str] = set()
        self.filter: MessageFilter | None = None
        self.exhausted = False
        self.loading = False
        self.busy: Busy | None = None
        self.engine: ReplayEngine | None = None
        self.result: ReplayResult | None = None
        self.let_go = False
        self._receiving: asyncio.Future[BrowsePage] | None = None
        self._runs: dict[ReplayEngine, asyncio.Task[ReplayResult]] = {}  # dry runs and replays

    # -- what is shown -------------------------------------------------------------------------

    def shown(self) -> list[DlqMessage]:
        """The messages a list shows: all held, or those matching the filter."""
        f = self.filter
        return [m for m in self.messages.values() if f is None or f.matches(m)]

    def add(self, messages: list[DlqMessage] | tuple[DlqMessage, ...], *, exhausted: bool) -> None:
        """Messages received (a page of :meth:`next_page`, or a test's own)."""
        for msg in messages:
            self.messages[msg.message_id] = msg
        self.exhausted = exhausted
        self.loading = False

    def browse_failed(self, reason: str = "") -> None:
        """A receive failed: the list is unknown, not empty; the next receive may try again."""
        self.loading = False
        self.failure = reason or "the receive failed"

    def toggle(self, message_id: str) -> bool:
        """Select or unselect one message; whether it is selected now."""
        self.selected.symmetric_difference_update({message_id})
        return message_id in self.selected

    def set_filter(self, expression: str) -> None:
        """Apply a filter expression (empty clears it); :class:`FilterError` leaves it as it was."""
        expression = expression.strip()
        self.filter = MessageFilter.parse(expression) if expression else None

    # -- browsing ------------------------------------------------------------------------------

    def can_load(self) -> bool:
        """One receive at a time (a cancelled receive would hide messages), none once let go."""
        return not self.loading and not self.let_go

    async def next_page(self, size: int) -> BrowsePage:
        """Receive the next page; the receive runs on if the caller is cancelled (the release
        waits for it and gives its messages back)."""
        self.loading = True
        self._receiving = asyncio.ensure_future(self._receive(size))
        self._receiving.add_done_callback(_retrieved)  # if nobody awaits it (app quitting)
        return await asyncio.shield(self._receiving)

    async def _receive(self, size: int) -> BrowsePage:
        """One page, then back within the window, then the DLQ's count (best effort)."""
        page = await self.browser.next_page(min(size, self.window))
        self.failure = None
        overflow = len(self.browser.messages) - self.window
        if overflow > 0:
            fresh = {m.message_id for m in page.messages}
            oldest = [
                mid
                for mid in self.browser.messages
                if mid not in self.selected and mid not in fresh
            ][:overflow]
            self.given_back += await self.browser.release(oldest)
            for mid in oldest:
                self.messages.pop(mid, None)
        try:
            info = await queue_info(self.clients, self.url)
        except Exception:  # the count is a nicety: the page itself arrived
            pass
        else:
            self.total = info.visible + info.in_flight
        return page

    @property
    def held(self) -> int:
        """Messages this session holds invisible right now (at most :attr:`window` + selected)."""
        return len(self.browser.messages)

    # -- replay --------------------------------------------------------------------------------

    def replay_scope(self) -> tuple[list[str], str | None]:
        """What ``R`` replays: the selected messages (browse order), else all that match."""
        ids = [mid for mid in self.messages if mid in self.selected]
        return ids, self.filter.expression if self.filter and not ids else None

    async def _run_engine(
        self, engine: ReplayEngine, on_event: EventCallback | None = None
    ) -> ReplayResult:
        """Run ``engine`` in a task of its own: a cancelled caller cannot cut a batch in half;
        :meth:`release` cancels it gracefully and waits for it."""
        task = asyncio.ensure_future(engine.run(on_event))
        self._runs[engine] = task

        def ended(done: asyncio.Future[Any]) -> None:
            self._runs.pop(engine, None)
            _retrieved(done)

        task.add_done_callback(ended)
        return await asyncio.shield(task)

    async def prepare(
        self,
        ids: list[str],
        expression: str | None,
        *,
        on_released: Callable[[], None] | None = None,
    ) -> PreparedReplay:
        """Plan the replay of ``ids`` (or of all matching ``expression``) and preview it.

        Selected messages are previewed from what is held; "all" needs a dry run, which receives,
        so the session first gives back everything it holds (``on_released`` is told).
        """
        selection = (
            Selection.build(message_ids=ids)
            if ids
            else Selection.build(filters=[expression] if expression else ())
        )
        given_back, others = 0, None
        if not ids:  # the engine's dry run receives: it must see what this session holds
            if self.held:  # SQS counts what this session holds in flight: not others'
                info = await queue_info(self.clients, self.url)
                others = max(0, info.in_flight - self.held)
            given_back = await self.browser.release()
            self.messages.clear()
            self.selected.clear()
            self.exhausted = False
            if on_released is not None:
                on_released()
        plan = await plan_replay(
            self.clients,
            self.url,
            selection=selection,
            options=self.options,
            mode="client",
            in_flight_others=others,
            given_back=given_back,
        )
        native = await offer_native(self.clients, plan)  # asks AWS only for "all"
        if ids:
            held = [self.browser.messages[i] for i in ids if i in self.browser.messages]
            preview = preview_held(plan, held)
        else:
            preview = await self._run_engine(ReplayEngine(self.clients, plan.with_dry_run()))
        return PreparedReplay(plan, preview, ids, native)

    def start(self) -> None:
        """The operator confirmed: a replay is running from now on (no previous result)."""
        self.busy = "running"
        self.result = None

    async def run(
        self, plan: ReplayPlan, ids: list[str], on_event: EventCallback | None = None
    ) -> ReplayResult:
        """Replay for real; the held ``ids`` are handed to the engine (it releases what it does
        not move)."""
        held = self.browser.take(ids) if ids else []
        for mid in ids:
            self.messages.pop(mid, None)
            self.selected.discard(mid)
        engine = ReplayEngine(self.clients, plan, held=held)
        self.engine = engine
        return await self._run_engine(engine, on_event)

    def finished(self, result: ReplayResult | None) -> None:
        """A replay ended (``result``) or was not started (None): another one may start."""
        self.busy = None
        self.engine = None
        if result is not None:
            self.result = result

    def cancel(self) -> bool:
        """Stop a running replay after its batches in flight; whether one was running."""
        if self.busy == "running" and self.engine is not None:
            self.engine.cancel()
            return True
        return False

    # -- leaving -------------------------------------------------------------------------------

    def release(self) -> Coroutine[Any, Any, None] | None:
        """Let go of the DLQ: nothing new starts, running engines are cancelled gracefully.

        Returns the work that remains (wait for the engines and the receive in flight, then give
        every held message back), for the caller to run to its end; None if already let go.
        """
        if self.let_go:
            return None
        self.let_go = True
        runs = list(self._runs.values())
        for engine in self._runs:
            engine.cancel()
        waits: list[asyncio.Future[Any]] = [*runs]
        if self._receiving is not None:
            waits.append(self._receiving)
        browser = self.browser

        async def release() -> None:
            try:
                if waits:
                    await asyncio.wait(waits)  # engines release what they hold as they end
                await browser.aclose()
            except asyncio.CancelledError:  # the caller stopped waiting: so do the waits
                for waited in waits:
                    waited.cancel()
                raise

        return release()
