"""The one way a worker's unexpected error reaches the operator.

Workers catch the errors they expect and post typed messages; anything else ends the worker in
``ERROR``. Each node that runs workers turns that state into the same one-line text with
:func:`worker_failure` and shows it its own way (a notification, an error screen): never a
traceback.
"""

from __future__ import annotations

from collections.abc import Collection

from textual.worker import Worker, WorkerState


def describe_failure(error: BaseException | None) -> str:
    return f"{type(error).__name__}: {error}" if error else "unknown error"


def worker_failure(event: Worker.StateChanged, groups: Collection[str]) -> str | None:
    """The operator's line for a worker of ``groups`` that raised, else None."""
    worker = event.worker
    if event.state != WorkerState.ERROR or worker.group not in groups:
        return None
    return describe_failure(worker.error)
