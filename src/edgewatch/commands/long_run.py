"""What the long-running commands (``replay``, ``send``) share: Ctrl-C in two stages, the
progress bar on stderr, and how a result becomes output and an exit code.

Ctrl-C once asks the engine to stop taking new work and finish what is in flight (nothing is
lost); a second Ctrl-C tells the engine to abort and cancels what it awaits: the engine still
returns its result (what happened so far), so the summary is printed, ``--json`` too, and the
command exits 130 without a traceback. The bar is transient and only drawn on a
terminal, so pipes and ``--json`` get clean output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgewatch.commands import EXIT_FAILURE, EXIT_OK, error

EXIT_CANCELLED = 130


@contextlib.contextmanager
def two_stage_interrupt(
    err: Console, stop: Callable[[], None], message: str, abort: Callable[[], None]
) -> Iterator[None]:
    """While inside: the first Ctrl-C prints ``message`` and calls ``stop``; the next calls
    ``abort`` (the engine then turns the cancellation into a result) and cancels the current
    task. Outside the main thread (tests) or on Windows, Ctrl-C is left alone."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupts = 0

    def on_sigint() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            err.print(message, markup=False, highlight=False)
            stop()
        elif interrupts == 2 and task is not None:
            abort()
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        installed = True
    except (NotImplementedError, RuntimeError):
        installed = False
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


def progress_bar(err: Console, label: str, *, enabled: bool) -> Progress:
    """The bar both commands draw: label, bar, n/N, a free ``detail`` field, elapsed time."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not enabled,
    )


def finish(
    *,
    as_json: bool,
    payload: Callable[[], dict[str, Any]],
    summary: Callable[[], None],
    problem: str | None,
    cancelled: bool,
    ok: bool,
) -> int:
    """Print the result (JSON on stdout, or the summary), the problem on stderr; the exit code:
    130 when cancelled, 1 when anything failed, 0 otherwise."""
    if as_json:
        print(json.dumps(payload(), indent=2))
    else:
        summary()
    if problem:
        error(problem)
    if cancelled:
        return EXIT_CANCELLED
    return EXIT_OK if ok else EXIT_FAILURE
