"""Fixes to moto's SQS: two keep the embedded stack's cost per message flat, one keeps moto from
delivering messages to Lambda functions it cannot run, one closes a race.

moto 5.2 answers SQS calls with work that grows with the queue's depth for *every message*:

- ``ReceiveMessage`` checks each message it returns against the retention period through
  ``get_queue_attributes``, which builds the queue's whole attribute dict three times, and each
  build counts visible, in-flight and delayed messages: nine passes over the queue per message.
  (``SendMessage`` builds the dict once per message too, to read ``ContentBasedDeduplication``.)
- Each of those passes asks every message "visible? delayed?", and each question reads the clock
  through ``datetime`` arithmetic (about 1.5 µs), not ``time.time()``.

On the embedded stack moto shares the console's process, so a DLQ a few hundred deep made every
browse and replay spend most of its CPU there. The fixes read the one attribute the retention
check needs, and read the clock with ``time.time()`` (the same instant, as a float of seconds
since the epoch); moto's answers are unchanged. They are applied once, when the embedded server
starts, and only where moto still has what they replace; otherwise moto is left as is.

moto also delivers every message sent to a queue with an event source mapping to the mapped
function, which it can only run in Docker: without Docker it receives the batch (raising the
receive counts), logs "error running docker" to the function's log group and hands the
messages back. The embedded stack's functions exist to be *discovered* (``ListEventSourceMappings``
reads the Lambda backend, untouched); its simulated consumer does the work. So queues keep no
mapping to deliver to.

The race: moto's ``Queue.delete_message`` rebuilds the queue's message list from a copy, without
the lock its sends take, so two deletes in parallel (or a delete and a send) can undo one
another: a deleted message comes back (a duplicate for a replay) or a sent one is lost. AWS has no
such race and a replay deletes in parallel, so the fix belongs here, not in the engine:
:func:`serialise_deletes` makes each delete take the queue's own lock. It is applied whenever
edgewatch serves moto, even when the speed fixes are off (benchmarks of moto as released).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

_applied = False
_deletes_serialised = False


def retention_check(backend: Any, queue_name: str, message: Any) -> bool:
    """moto's "is this message still within the queue's retention period", without the scans."""
    queue = backend.get_queue(queue_name)
    retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
    return bool(retain_until > time.time())


def fast_clock(original: Callable[..., float], scale: float) -> Callable[..., float]:
    """``original()`` for "now" read from ``time.time()``; any explicit datetime goes to moto."""

    def clock(dt: Any = None) -> float:
        if dt is not None:
            return original(dt)
        return time.time() * scale

    clock.__wrapped__ = original  # type: ignore[attr-defined]  # functools' convention
    return clock


def apply_moto_fixes() -> bool:
    """Install the fixes (idempotent). Returns whether moto now runs with both."""
    global _applied
    if _applied:
        return True
    from moto.sqs import models

    backend = models.SQSBackend
    if not (
        callable(getattr(backend, "is_message_valid_based_on_retention_period", None))
        and callable(getattr(models, "unix_time", None))
        and callable(getattr(models, "unix_time_millis", None))
    ):
        return False

    no_deliveries()
    # moto's names, replaced on purpose (mypy sees moto's own signatures and exports):
    backend.is_message_valid_based_on_retention_period = retention_check  # type: ignore[assignment]  # looser signature
    models.unix_time = fast_clock(models.unix_time, 1.0)  # type: ignore[attr-defined]  # not in __all__
    models.unix_time_millis = fast_clock(models.unix_time_millis, 1000.0)  # type: ignore[attr-defined]  # not in __all__
    _applied = True
    return True


def locked_delete(original: Callable[..., None]) -> Callable[..., None]:
    """``Queue.delete_message`` under the queue's message lock (the one its sends hold)."""

    def delete_message(queue: Any, receipt_handle: str) -> None:
        lock = getattr(queue, "_messages_lock", None)  # a Condition over an RLock: re-entrant
        if lock is None:  # a moto without it: as released
            original(queue, receipt_handle)
            return
        with lock:
            original(queue, receipt_handle)

    delete_message.__wrapped__ = original  # type: ignore[attr-defined]  # functools' convention
    return delete_message


def serialise_deletes() -> bool:
    """Install the race fix (idempotent). Returns whether moto's deletes now take the lock."""
    global _deletes_serialised
    if _deletes_serialised:
        return True
    from moto.sqs import models

    original = getattr(models.Queue, "delete_message", None)
    if not callable(original):
        return False
    models.Queue.delete_message = locked_delete(original)  # type: ignore[method-assign]  # moto's class, patched on purpose
    _deletes_serialised = True
    return True


def no_deliveries() -> bool:
    """Queues forget the mappings moto would deliver to (see the module's docstring)."""
    from moto.sqs import models

    queue = getattr(models, "Queue", None)
    if queue is None or isinstance(getattr(queue, "lambda_event_source_mappings", None), property):
        return queue is not None

    def mappings(self: Any) -> dict[str, Any]:
        return {}  # a new dict each time: what moto stores in it is dropped

    def ignore(self: Any, value: Any) -> None:
        pass

    queue.lambda_event_source_mappings = property(mappings, ignore)
    return True
