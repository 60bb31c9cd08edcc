"""The edgewatch console: one app factory for the CLI and the tests.

The app renders and dispatches only. Polling is the core ``QueuePoller``, run in one exclusive
worker whose callback posts :class:`SnapshotReady`; everything on screen is derived from the
latest snapshot, the poller's history and the injected clock, so a test can drive it by hand
(``auto_poll=False`` + :meth:`EdgewatchApp.apply_snapshot`) and get byte-identical screenshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from textual import on
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker

from edgewatch.capabilities import Capability, probe_endpoint
from edgewatch.display.escape import escape
from edgewatch.fleet.factory import make_poller
from edgewatch.fleet.poller import FleetPoller
from edgewatch.forecast.book import ForecastBook
from edgewatch.forecast.model import Forecast
from edgewatch.logs.messages import ids_of
from edgewatch.logs.search import LogQuery
from edgewatch.metrics.models import ConnectionState, History, MetricsSnapshot
from edgewatch.metrics.poller import QueuePoller
from edgewatch.runtime import Runtime
from edgewatch.tui.alerts.relay import AlertRelay
from edgewatch.tui.alerts.screen import AlertHistoryScreen
from edgewatch.tui.common.actions import APP_ACTIONS, action_by_id, app_bindings
from edgewatch.tui.common.error import PollerErrorScreen
from edgewatch.tui.common.help import HelpScreen
from edgewatch.tui.common.messages import ShowMessage, ShowRequest, SnapshotReady
from edgewatch.tui.common.status_bar import StatusView
from edgewatch.tui.common.themes import bundled_themes, resolve_theme, user_themes
from edgewatch.tui.common.workers import worker_failure
from edgewatch.tui.dashboard.screen import DashboardData, DashboardScreen
from edgewatch.tui.dlq.screen import DlqScreen, dlq_for
from edgewatch.tui.logs.screen import LogsScreen
from edgewatch.tui.logs.service import LogBatchReady, LogService
from edgewatch.tui.send.screen import QueueChoice, SendScreen

CONSUMERS_GROUP = "consumers"
POLL_GROUP = "poller"
TICK_S = 1.0  # refresh of "3s ago" between polls (only with auto_poll)
EXIT_DEADLINE_S = 5.0  # giving SQS back what screens hold, at exit: a dead endpoint cannot hang it
SEND_SCREEN = "send"  # installed once: a send goes on while the operator watches the dashboard
# Terminal closed (SIGHUP) or asked to stop (SIGTERM, e.g. a service manager or kill): quit the
# way ctrl+q does (browsed DLQ messages given back, terminal restored), exit 128 + signal.
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class EdgewatchApp(App[None]):
    """Live SQS queue metrics for an on-call operator.

    Every feature screen is opened by one ``action_open_<feature>``; what the keys, the help and
    the palette offer comes from one table (:data:`~edgewatch.tui.common.actions.APP_ACTIONS`),
    and :meth:`check_action` alone decides where each is available.
    """

    TITLE = "edgewatch"
    CSS_PATH = "edgewatch.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = app_bindings()
    send_seed: int | None = None  # repeatable request ids on the Send screen (tests)

    def __init__(
        self,
        runtime: Runtime,
        *,
        poller: QueuePoller | FleetPoller | None = None,
        auto_poll: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.settings = runtime.settings
        self.clock = clock
        self.auto_poll = auto_poll
        self.poller = poller or make_poller(runtime, clock=clock)
        self.fleet_mode = isinstance(self.poller, FleetPoller)
        self.forecasts: dict[str, Forecast] = {}
        self._book = ForecastBook(self.settings.forecast)
        self.alerts = AlertRelay(self, self.settings.alerts, clock=clock)
        self.snapshot: MetricsSnapshot | None = None
        self._latest_posted: MetricsSnapshot | None = None
        self._region = runtime.region  # resolved once: the AWS chain is not re-read per frame
        self.poller_error: str | None = None
        self._history: History = self.poller.history
        self._was_down = False
        self._probed = False  # capability differences told (see tell_differences)
        # Not ``_closing`` / ``_closed``: Textual's message pump owns those names.
        self._shutting_down = False
        self._clients_closed = False
        self._tick: Timer | None = None
        self.exit_deadline_s = EXIT_DEADLINE_S
        self._before_exit: set[asyncio.Task[None]] = set()
        self._signalled: int | None = None
        self._signal_handlers: list[signal.Signals] = []
        self._quit_task: asyncio.Task[None] | None = None
        self._dashboard = DashboardScreen(embedded=runtime.embedded, fleet=self.fleet_mode)
        self.logs = LogService(self, runtime, clock=clock)  # one log tail for the whole app
        own, problems = user_themes()
        for theme in (bundled_themes() | own).values():  # the operator's win over the shipped
            self.register_theme(theme)
        name, self._theme_warning = resolve_theme(self.settings.theme, self.available_themes)
        if problems:
            skipped = "Theme files skipped: " + "; ".join(problems)
            self._theme_warning = (
                f"{self._theme_warning} {skipped}" if self._theme_warning else skipped
            )
        self.theme = name

    # -- lifecycle -----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return self._dashboard

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._install_quit_signals()
        if self.auto_poll:
            self.start_polling()
            self._tick = self.set_interval(TICK_S, self._render, name="status-tick")
            self.logs.start()

    @on(DashboardScreen.Ready)
    def _dashboard_ready(self) -> None:
        if self._theme_warning:  # once a screen exists to show the toast on
            self.notify(self._theme_warning, severity="warning", title="Theme", markup=False)
            self._theme_warning = None
        self.logs.ticked.subscribe(self, self._show_latency, immediate=True)
        self._show_latency()
        self._render()

    async def on_unmount(self) -> None:
        await self.shutdown()

    def _install_quit_signals(self) -> None:
        """SIGTERM / SIGHUP quit like ctrl+q (main thread only; elsewhere they are left alone)."""
        loop = asyncio.get_running_loop()
        for sig in QUIT_SIGNALS:
            try:
                loop.add_signal_handler(sig, self._on_quit_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            self._signal_handlers.append(sig)

    def _remove_quit_signals(self) -> None:
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            for sig in self._signal_handlers:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
        self._signal_handlers.clear()

    def _on_quit_signal(self, sig: signal.Signals) -> None:
        """First signal: the bounded shutdown (at most ``exit_deadline_s`` to give messages back),
        then exit. A second one exits at once (the terminal is still restored by the driver)."""
        if self._signalled is not None:
            self.exit(return_code=128 + self._signalled)
            return
        self._signalled = int(sig)
        self._quit_task = asyncio.create_task(self._quit_on_signal(), name=f"quit-{sig.name}")

    async def _quit_on_signal(self) -> None:
        try:
            await self.shutdown()
        finally:
            self.exit(return_code=128 + (self._signalled or 0))

    def start_polling(self) -> Worker[None]:
        """(Re)start the poll worker; exclusive, so a restart replaces any previous one."""
        self.poller_error = None
        return self.run_worker(
            self._poll_loop(),
            name="queue-poller",
            group=POLL_GROUP,
            description="QueuePoller.run",
            exclusive=True,
            exit_on_error=False,
        )

    async def _poll_loop(self) -> None:
        await self.poller.run(self._post_snapshot)

    def _post_snapshot(self, snapshot: MetricsSnapshot) -> None:
        self._latest_posted = snapshot
        self.post_message(SnapshotReady(snapshot))

    def finish_before_exit(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run ``work`` now; :meth:`shutdown` waits for it (at most ``exit_deadline_s``) before
        it closes the clients. For giving back what SQS holds for a screen (browsed DLQ messages,
        a replay's batches in flight), which must outlive the screen and even a quit."""
        if self._clients_closed:  # too late
            work.close()
            return
        task = asyncio.create_task(work, name=name)
        self._before_exit.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._before_exit.discard(task)
        if not task.cancelled():
            task.exception()  # seen: an exit must not end with "exception never retrieved"

    async def _finish_pending(self) -> None:
        """Let DLQ screens still on the stack let go, then wait, bounded, for that work.

        Past the deadline the work is cancelled: what it still held comes back by itself at its
        visibility timeout, and a cancelled engine leaves messages in the DLQ or the target.
        """
        for screen in self.screen_stack:  # a quit from the screen (or a dialog above it)
            if isinstance(screen, DlqScreen):
                screen.release_browsed()
        pending = list(self._before_exit)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self.exit_deadline_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def shutdown(self) -> None:
        """Give back what screens hold (bounded), cancel the poll worker (the poller cancels its
        in-flight requests), close clients."""
        if self._shutting_down:
            return
        self._shutting_down = True
        await self._finish_pending()
        self._clients_closed = True
        if self._tick is not None:
            self._tick.stop()
        for worker in self.workers.cancel_group(self, POLL_GROUP):
            with contextlib.suppress(Exception):
                await worker.wait()
        await self.logs.aclose()
        await self.poller.aclose()
        await self.alerts.aclose()
        await self.runtime.aclose()
        self._remove_quit_signals()  # last: a second signal meanwhile still exits cleanly

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast of every screen: escaped (errors quote endpoints and names), never markup."""
        super().notify(
            escape(message),
            title=escape(title, one_line=True),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # -- data in -------------------------------------------------------------------------------

    @on(SnapshotReady)
    def _snapshot_ready(self, message: SnapshotReady) -> None:
        # Coalesce: if the UI fell behind, snapshots already superseded are skipped.
        if self._latest_posted is None or message.snapshot is self._latest_posted:
            self.apply_snapshot(message.snapshot)
            self._look_up_consumers(message.snapshot)
            # Alerts run on live snapshots only (a test's apply_snapshot shows, never alerts).
            self.alerts.evaluate(message.snapshot, self.forecasts)
        if not self._probed and message.snapshot.connection in ("ok", "degraded"):
            self._probed = True  # once per run, after the first live numbers
            self.run_worker(self.tell_differences(), group="capabilities", exit_on_error=False)

    async def tell_differences(self) -> list[Capability]:
        """One notification per way this endpoint differs from AWS (why a column says n/a,
        why replay is client-side...): never a silent 0. Checks that fail are left unsaid."""
        try:
            found = await probe_endpoint(self.runtime.clients, self.runtime.target.endpoint_url)
        except Exception:
            return []
        for capability in found:
            if capability.differs:
                self.notify(
                    escape(capability.note),
                    title="This endpoint differs from AWS",
                    timeout=12,
                    markup=False,
                )
        return found

    def _look_up_consumers(self, snapshot: MetricsSnapshot) -> None:
        """Find the consumers of queues not looked up yet (event source mappings), in a worker;
        the queue detail shows them once known."""
        urls = [q.url for q in snapshot.queues if q.url and not q.is_dlq]
        directory = self.runtime.consumers
        if not directory.stale(urls):
            return
        if any(w.group == CONSUMERS_GROUP and w.is_running for w in self.workers):
            return

        async def look_up() -> None:
            await directory.refresh(urls)
            self.call_later(self._render)

        self.run_worker(look_up(), group=CONSUMERS_GROUP, name="consumers", exit_on_error=False)

    def apply_snapshot(self, snapshot: MetricsSnapshot, history: History | None = None) -> None:
        """Show ``snapshot``; trends come from ``history`` (default: the poller's own).

        Also the entry point for tests: with ``auto_poll=False`` nothing else changes the screen.
        """
        if history is not None:
            self._history = history
        self.snapshot = snapshot
        self.forecasts = self._book.update(snapshot)
        if isinstance(self.poller, FleetPoller):  # troubled rows are read first after on-screen
            self.poller.rank(self.forecasts)
        self._notify_transitions(snapshot)
        self._render()

    def _notify_transitions(self, snapshot: MetricsSnapshot) -> None:
        """One notification when the endpoint goes down and one when it is back; not per poll."""
        if snapshot.connection == "down" and not self._was_down:
            self._was_down = True
            self.notify(
                snapshot.error or "endpoint unreachable",
                title="Not connected",
                severity="error",
                timeout=10,
                markup=False,
            )
        elif snapshot.connection in ("ok", "degraded") and self._was_down:
            self._was_down = False
            self.notify("Polling again; numbers are fresh.", title="Connected again", markup=False)

    @property
    def connection(self) -> ConnectionState:
        """What the status bar says: pausing shows at once, before the poller's next snapshot."""
        if self.poller.paused:
            return "paused"
        if self.snapshot is None:
            return "connecting"
        if self.snapshot.connection == "paused":  # resumed; the next poll is on its way
            return "connecting"
        return self.snapshot.connection

    def _render(self) -> None:
        if not self._dashboard.ready or not self.is_running:  # closing: its widgets are going
            return
        endpoint, region = self.runtime.endpoint_label, self._region
        if isinstance(self.poller, FleetPoller):  # many places: say how many, not one of them
            sources = self.settings.fleet.sources
            endpoint = f"fleet · {len(sources)} source(s)"
            region = ", ".join(dict.fromkeys(s.region or self._region for s in sources))
        status = StatusView(
            endpoint=endpoint,
            region=region,
            connection=self.connection,
            now=self.clock(),
            snapshot=self.snapshot,
            read_only=self.settings.read_only,
            poller_error=self.poller_error,
        )
        self._dashboard.show(
            DashboardData(
                status=status,
                history=self._history,
                global_thresholds=self.settings.thresholds,
                snapshot=self.snapshot,
                forecasts=self.forecasts,
            )
        )
        if isinstance(self.poller, FleetPoller):  # rows on screen are read first
            self.poller.focus(self._dashboard.visible_urls())

    def _theme_changed(self, theme: Theme) -> None:
        if self._dashboard.ready:
            self._dashboard.restyle()

    # -- worker errors -------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        failure = worker_failure(event, (POLL_GROUP,))
        if failure is None:
            return
        self.poller_error = failure
        self._render()
        self.push_screen(PollerErrorScreen(self.poller_error))

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show Pause or Resume (one key, ``p``); grey out Refresh while paused; open a feature
        only where it makes sense (the DLQ and Send from the dashboard, Logs from anywhere
        but the Logs screen)."""
        on_dashboard = self.screen is self._dashboard
        if action == "pause":
            return not self.poller.paused
        if action == "resume":
            return self.poller.paused
        if action == "refresh" and self.poller.paused:
            # A screen with its own reload (the DLQ retry) keeps r: r then says why nothing polled.
            return True if callable(getattr(self.screen, "refresh_data", None)) else None
        if action == "open_logs":
            return not isinstance(self.screen, LogsScreen)
        if action in ("open_dlq", "open_send"):
            return on_dashboard
        if action == "open_alerts":
            return not isinstance(self.screen, AlertHistoryScreen)
        return super().check_action(action, parameters)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        screen = self.screen
        self.push_screen(
            HelpScreen(
                self.key_help(screen),
                self.settings,
                self.runtime.config_source,
                screen_keys=self.screen_key_help(screen),
                screen_name=getattr(screen, "HELP_NAME", None),
            )
        )

    def screen_key_help(self, screen: Screen[object]) -> list[tuple[str, str]]:
        """The keys a screen adds, greyed-out ones included (Textual's tab / shift+tab /
        ctrl+c carry no id and are left out); keys sharing an action share a row. Read from the
        screen's own bindings, not the active ones: a key the focused widget also binds (the
        DLQ list's Enter) is still the screen's key."""
        if getattr(screen, "HELP_NAME", None) is None:
            return []
        rows: dict[str, list[str]] = {}
        for _, binding in screen._bindings:
            if binding.id and screen.check_action(binding.action, ()) is not False:
                keys = rows.setdefault(binding.description, [])
                key = self.get_key_display(binding)
                if key not in keys:
                    keys.append(key)
        return [(" / ".join(keys), description) for description, keys in rows.items()]

    def action_pause(self) -> None:
        """Stop API calls (the poller stops polling, not just the screen redrawing)."""
        self.poller.pause()
        self.refresh_bindings()
        self._render()

    def action_resume(self) -> None:
        self.poller.resume()
        self.refresh_bindings()
        self._render()

    def action_toggle_pause(self) -> None:
        """For the command palette: one command that does what ``p`` does now."""
        if self.poller.paused:
            self.action_resume()
        else:
            self.action_pause()

    def action_refresh(self) -> None:
        """Poll now; after a worker failure, restart the worker instead (the log tail too, and
        a screen's own failed load: ``refresh_data``)."""
        self.logs.restart()
        refresh_data = getattr(self.screen, "refresh_data", None)
        reloaded = bool(refresh_data()) if callable(refresh_data) else False
        if self.poller_error is not None and self.auto_poll:
            if isinstance(self.screen, PollerErrorScreen):
                self.pop_screen()
            self.start_polling()
            self._render()
            return
        if self.poller.paused:  # reachable from the palette; the key is greyed out meanwhile
            if not reloaded:
                self.notify("Polling is paused: press p to resume.", title="Paused", markup=False)
            return
        self.poller.refresh_now()

    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit()

    def key_help(self, screen: Screen[Any] | None = None) -> list[tuple[str, str]]:
        """The app's keys that work on ``screen`` (the dashboard by default) as the help screen
        lists them: a key the screen binds itself is its own (keys follow keymap overrides)."""
        shown: Screen[Any] = screen if screen is not None else self._dashboard
        order = {a.id: i for i, a in enumerate(APP_ACTIONS)}
        found = sorted(
            (order[str(b.binding.id)], self.get_key_display(b.binding), str(b.binding.id))
            for b in shown.active_bindings.values()
            if b.node is self and b.binding.id in order
        )
        rows = []
        for _, key, binding_id in found:
            described = action_by_id(binding_id)
            assert described is not None  # found above
            rows.append((key, described.help_line))
        rows.append(("ctrl+p", "command palette (pause, refresh, help, theme, quit)"))
        rows.append(("ctrl+q", "quit from any screen"))
        if shown is self._dashboard:
            rows.append(("↑ ↓", "select a queue: its history and thresholds show below the table"))
            rows.append(("o", "sort: trouble, name, depth, age, DLQ, as listed"))
            rows.append(("/", "filter the queues by name (esc clears)"))
            rows.append(("g", "group by account and region"))
        return rows

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Resume polling" if self.poller.paused else "Pause polling",
            "Stop or restart the AWS calls (p)",
            self.action_toggle_pause,
        )
        for described in APP_ACTIONS:
            if described.command is not None:
                title, help_text = described.command
                yield SystemCommand(title, help_text, getattr(self, f"action_{described.action}"))
        yield from super().get_system_commands(screen)

    # -- worker logs and latency: one tail for the app, see LogService -------------------------

    @on(LogBatchReady)
    def _log_batch_ready(self, message: LogBatchReady) -> None:
        self.logs.handle(message)

    def _show_latency(self, _: object = None) -> None:
        if self._dashboard.ready and self.is_running:
            self._dashboard.show_latency(self.logs.chart_data())

    def action_open_logs(self) -> None:
        """Open the Logs screen (from the dashboard or any screen without one on top)."""
        if not isinstance(self.screen, LogsScreen):
            self.push_screen(LogsScreen(self.logs))

    @on(ShowRequest)
    def _show_request(self, message: ShowRequest) -> None:
        self.show_request(message.request_id)

    def show_request(self, request_id: str) -> None:
        """Cross-navigation: the Logs screen filtered to exactly this request's lines.

        For any screen that shows a request ID (a sent test event, a DLQ message). Esc returns
        to that screen. Older lines than the live buffer are searched for as well.
        """
        try:
            query = LogQuery(request_id=request_id.strip())
        except ValueError:
            self.notify("There is no request ID to show.", title="Logs", markup=False)
            return
        if isinstance(self.screen, LogsScreen):
            self.screen.set_query(query)
        else:
            self.push_screen(LogsScreen(self.logs, query=query))

    @on(ShowMessage)
    def _show_message(self, message: ShowMessage) -> None:
        self.show_message(message.message_id, message.request_id)

    def show_message(self, message_id: str, request_id: str | None = None) -> None:
        """Cross-navigation: the lines that name a message (or its request ID) and the whole
        invocations that handled it (a dead-lettered message's failures are there)."""
        ids = ids_of(message_id.strip(), request_id.strip() if request_id else None)
        if not ids:
            self.notify("There is no message ID to show.", title="Logs", markup=False)
            return
        query = LogQuery(any_ids=ids)
        if isinstance(self.screen, LogsScreen):
            self.screen.set_query(query)
        else:
            self.push_screen(LogsScreen(self.logs, query=query))

    # -- DLQ browse and replay: the screen and its session -------------------------------------

    def action_open_alerts(self) -> None:
        """The alert history of this run (newest first)."""
        if not isinstance(self.screen, AlertHistoryScreen):
            engine = self.alerts.engine
            self.push_screen(AlertHistoryScreen(list(engine.history), len(engine.active)))

    def action_open_dlq(self) -> None:
        """Open the DLQ of the highlighted queue (or the highlighted DLQ itself)."""
        target = dlq_for(self._dashboard.highlighted() if self._dashboard.ready else None)
        if isinstance(target, str):
            self.notify(target, title="DLQ", severity="warning", markup=False)
            return
        settings = self.runtime.settings
        self.push_screen(
            DlqScreen(
                self.runtime.clients,
                target,
                replay=settings.replay,
                read_only=settings.read_only,
                clock=self.clock,
            )
        )

    # -- Send test events: one installed screen ------------------------------------------------

    @property
    def send_screen(self) -> SendScreen:
        """The Send screen, installed on first use and kept: a send keeps running while the
        operator watches the dashboard move, and its results are there on return."""
        if not self.is_screen_installed(SEND_SCREEN):
            screen = SendScreen(
                self.runtime,
                queues=self.send_queue_choices,
                clock=self.clock,
                seed=self.send_seed,
            )
            self.install_screen(screen, SEND_SCREEN)
        installed = self.get_screen(SEND_SCREEN)
        assert isinstance(installed, SendScreen)
        return installed

    def action_open_send(self) -> None:
        """Open the Send screen (in read-only mode it says why sending is refused)."""
        if not isinstance(self.screen, SendScreen):
            self.push_screen(self.send_screen)

    def send_queue_choices(self) -> list[QueueChoice]:
        """The queues of the latest poll, in the dashboard's order."""
        queues = self.snapshot.queues if self.snapshot is not None else ()
        return [QueueChoice(q.name, q.url, q.is_dlq) for q in queues if q.url]
