"""The embedded local stack: moto on 127.0.0.1, the resources, and the simulated pipeline.

The pipeline runs on a thread of its own with its own asyncio loop, so the caller's loop (the
TUI's) never runs simulator work, and ``start()``/``stop()`` are plain synchronous calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import socket
import threading
import time
from typing import Any

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.identifiers import DEFAULT_REGION
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS, MotoServer, silence_loggers
from edgewatch.simulator.pipeline import Pipeline, PipelineConfig, PipelineStats
from edgewatch.simulator.resources import StackResources, create_resources

REGION = DEFAULT_REGION  # any region works on moto; the one edgewatch assumes by default
THREAD_NAME = "edgewatch-stack"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0  # a bound for a wedged shutdown; a normal one takes ~0.1 s
POLL_SLACK_S = 2.0  # beyond a long poll's wait, for moto's thread to answer (a loaded box)


def _ensure_free(port: int) -> None:
    """Raise ``OSError`` if ``port`` is taken: werkzeug would print to stderr and exit instead."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        sock.bind(("127.0.0.1", port))


class _NotFromTheStack(logging.Filter):
    """Drops the emitter's records logged on the stack's thread: its traffic failures are
    counted in the stack's stats, and a warning on stderr would tear a TUI apart. Emitters
    elsewhere in the process (``edgewatch send``, a library user) keep their logging."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD_NAME


_QUIET = _NotFromTheStack()


def _quiet_stack_emitters() -> None:
    logger = logging.getLogger("edgewatch_emitter")
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


def _serves_port(thread: threading.Thread, port: int) -> bool:
    """Whether ``thread`` is a werkzeug request thread of the server on ``port``.

    Reads stdlib/werkzeug internals, guarded: if they change, stop() just doesn't wait.
    """
    target = getattr(thread, "_target", None)
    server = getattr(target, "__self__", None)
    address = getattr(server, "server_address", None) or ()
    return getattr(target, "__name__", "") == "process_request_thread" and address[1:2] == (port,)


class EmbeddedStack:
    """moto + queues + log group + (optionally) the simulated pipeline, as one start/stop unit.

    ``seed`` makes the event content and the poison choice deterministic (``None``: a random
    seed, readable afterwards as ``stack.seed``). moto's state is per process: a second stack in
    the same process sees the first one's queues (creation is idempotent).
    """

    def __init__(
        self,
        seed: int | None = None,
        port: int = 0,
        pipeline: bool = True,
        config: PipelineConfig | None = None,
    ) -> None:
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.config = config or PipelineConfig()
        self.server = MotoServer(port)
        self._port = port
        self._with_pipeline = pipeline
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._clients: AwsClients | None = None
        self._pipeline: Pipeline | None = None
        self._resources: StackResources | None = None
        self.loop_errors = 0  # errors asyncio would otherwise log to the terminal
        self.last_loop_error: str | None = None

    # -- properties ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._resources is not None

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def target(self) -> AwsTarget:
        """Where the console (or any client) should point to use this stack."""
        return AwsTarget(
            region=REGION, endpoint_url=self.endpoint_url, credentials=FAKE_CREDENTIALS
        )

    @property
    def resources(self) -> StackResources:
        if self._resources is None:
            raise RuntimeError("embedded stack not started")
        return self._resources

    @property
    def stats(self) -> PipelineStats:
        """A copy of the pipeline's counters, the traffic emitters' included (all zero without
        a pipeline)."""
        return self._pipeline.snapshot() if self._pipeline is not None else PipelineStats()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> EmbeddedStack:
        """Serve moto, create the resources and start the pipeline; returns once they exist.

        Raises ``OSError`` if ``port`` is taken. Idempotent while running.
        """
        if self._resources is not None:
            return self
        silence_loggers()
        _quiet_stack_emitters()
        if self.server.port is None and self._port:
            _ensure_free(self._port)
        try:
            self.server.start()
        except SystemExit as exc:  # werkzeug's answer to a bind error, after the check's race
            raise OSError(errno.EADDRINUSE, f"cannot serve on 127.0.0.1:{self._port}") from exc
        try:
            loop = self._loop = asyncio.new_event_loop()
            loop.set_exception_handler(self._on_loop_error)
            self._thread = threading.Thread(
                target=self._run_loop, args=(loop,), name=THREAD_NAME, daemon=True
            )
            self._thread.start()
            future = asyncio.run_coroutine_threadsafe(self._bootstrap(), loop)
            self._resources = future.result(timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Count what asyncio would log (to stderr, under a TUI): the stack never prints."""
        self.loop_errors += 1
        self.last_loop_error = str(context.get("message") or context.get("exception"))

    async def _bootstrap(self) -> StackResources:
        self._clients = AwsClients(self.target)
        resources = await create_resources(self._clients)
        if self._with_pipeline:
            self._pipeline = Pipeline(self._clients, resources, seed=self.seed, config=self.config)
            await self._pipeline.start()
        return resources

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Normally empty (``_shutdown`` ran); after a timed-out shutdown, cancel what is left
            # so that asyncio never logs "Task was destroyed but it is pending" to the terminal.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._pipeline is not None:
            await self._pipeline.aclose()
        if self._clients is not None:
            await self._clients.aclose()
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    def stop(self) -> None:
        """Cancel the pipeline (long polls too), close the clients, stop moto; join the threads.

        Typically 0.5-1 s (moto's server notices a shutdown within 0.5 s). moto answers a
        cancelled long poll only when its wait ends (``wait_time_s``): its request threads are
        joined too, so that nothing of the stack outlives ``stop()``. A long poll of another
        client (``edgewatch demo``) is not waited for beyond that: it ends on its own.
        """
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(timeout=STOP_TIMEOUT_S)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=STOP_TIMEOUT_S)
        polls_end = time.monotonic() + self.config.wait_time_s + POLL_SLACK_S
        port = self.server.port
        self.server.stop()
        if port is not None:
            for handler in [t for t in threading.enumerate() if _serves_port(t, port)]:
                handler.join(timeout=max(0.0, polls_end - time.monotonic()))
        self._loop = self._thread = None
        self._clients = None
        self._resources = None  # the pipeline is kept: its final stats stay readable

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
