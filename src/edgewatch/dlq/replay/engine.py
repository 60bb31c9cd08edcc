"""DLQ replay: client-side (receive → send → delete what was acknowledged) or AWS's move task.

The contract (docs/architecture.md, "Contracts") and how this module keeps it:

- **Nothing is lost.** A DLQ message is deleted only after the target acknowledged *that* entry
  (per-entry results of ``SendMessageBatch``). A crash at any instant leaves it in the DLQ (it
  comes back after the visibility timeout) or in the target, or in both (a duplicate, bounded by
  the batches in flight: ``concurrency × 10``).
- **Leases.** Every received message is held with a visibility lease that a keeper extends while
  it is held (sending, or held back until the end); held-back, unmatched and failed messages are
  made visible again when the run ends. A delete sent after the lease ran out is not proof of
  deletion: the message is reported *possibly duplicated*, never lost; if it reappears during the
  run, it is deleted then (not sent again).
- **FIFO.** One pipeline; batches of a group are sent one after another in receive order. A
  message held back or failed blocks the rest of its group for this run, so order holds.
- **Partial failures** leave exactly the failed messages in the DLQ, each with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from edgewatch_emitter import BackoffPolicy, classify_batch

from edgewatch.aws import AwsClients, describe_error, is_connection_error, is_throttle
from edgewatch.dlq.browse import HeldMessage
from edgewatch.dlq.lease import LeaseKeeper
from edgewatch.dlq.models import DlqMessage
from edgewatch.dlq.queues import receive_messages
from edgewatch.dlq.replay.batching import Outgoing, Refusal, batch_limits, chunk, prepare
from edgewatch.dlq.replay.events import (
    MessageOutcome,
    OutcomeStatus,
    ReplayEvent,
    ReplayFinished,
    ReplayPlan,
    ReplayProgress,
    ReplayResult,
)
from edgewatch.dlq.replay.native import NativeMove
from edgewatch.dlq.replay.plan import READ_ONLY, plan_replay
from edgewatch.dlq.replay.ratelimit import RateLimiter

# Throttling, 5xx and connection errors: doubling from 50 ms to 2 s, never near zero.
RETRY_BACKOFF = BackoffPolicy(base_s=0.05, cap_s=2.0, jitter="equal")

__all__ = ["EventCallback", "ReplayEngine", "plan_replay"]

EventCallback = Callable[[ReplayEvent], Awaitable[None] | None]
RATE_WINDOW_S = 10.0


def _retryable(exc: BaseException) -> bool:
    if is_throttle(exc) or is_connection_error(exc):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return isinstance(status, int) and status >= 500
    return False


ABORTED = "stopped at once (second Ctrl-C): batches in flight abandoned, nothing lost"


class ReplayEngine:
    """Runs one :class:`ReplayPlan`. ``cancel()`` stops after the batches in flight."""

    def __init__(
        self,
        clients: AwsClients,
        plan: ReplayPlan,
        *,
        held: Sequence[HeldMessage] = (),
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clients = clients
        self.plan = plan
        self.options = plan.options
        self.clock = clock
        self.now = now
        self._held = list(held)
        self._cancel = asyncio.Event()
        self._error: str | None = None
        self._started = False
        self._callback: EventCallback | None = None
        self.result = ReplayResult(plan)
        self._decided: set[str] = set()
        self._sent: set[str] = set()  # acknowledged by the target: never sent again this run
        self._deleting: set[str] = set()  # a delete for these is under way
        self._copies_deleted = 0
        self._blocked_groups: set[str] = set()
        self._taken = 0
        ids = plan.selection.message_ids
        self._ids_left: set[str] | None = set(ids) if ids is not None else None
        self._start = clock()
        self._samples: deque[tuple[float, int]] = deque()
        self._keeper: LeaseKeeper | None = None
        self._limiter: RateLimiter | None = None
        self._native_remaining: int | None = None
        # Set by the first pipeline whose receive comes back empty: the others finish the batch
        # they hold and stop, instead of each spending one more (long-polled) receive to learn it.
        self._drained = False
        self._aborted = False

    # -- control -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop taking new messages; batches already sent are finished (deleted), not abandoned."""
        self._cancel.set()

    def abort(self) -> None:
        """Stop at once: the caller cancels the task next and :meth:`run` still returns the
        result. Batches in flight are abandoned; leased messages are given back, and a message
        sent but not yet deleted stays in the DLQ too (a possible duplicate, never a loss)."""
        self._aborted = True
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def _stopping(self) -> bool:
        return self._cancel.is_set() or self._error is not None

    async def run(self, on_event: EventCallback | None = None) -> ReplayResult:
        """Run to the end (or cancel); never raises for AWS errors: see ``result.error``."""
        if self._started:
            raise RuntimeError("a ReplayEngine runs once")
        self._started = True
        self._callback = on_event
        self._start = self.clock()
        try:
            if self.options.read_only and not self.plan.dry_run:
                self._error = READ_ONLY
            elif self.plan.mode == "native" and not self.plan.dry_run:
                await self._run_native()
            else:
                await self._run_client()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not self._aborted or task is None:
                raise
            task.uncancel()  # asked for by abort(): report what happened so far
            self._error = self._error or ABORTED
        except Exception as exc:
            self._error = self._error or describe_error(exc)
        self.result.error = self._error
        self.result.cancelled = self._cancel.is_set()
        self.result.elapsed_s = self.clock() - self._start
        await self._emit(self.progress(done=True))
        await self._emit(ReplayFinished(self.result))
        return self.result

    async def events(self) -> AsyncIterator[ReplayEvent]:
        """Run and yield every event, ending with :class:`ReplayFinished`.

        Leaving the loop early cancels the replay gracefully and waits for it.
        """
        queue: asyncio.Queue[ReplayEvent | None] = asyncio.Queue()
        task = asyncio.create_task(self.run(queue.put_nowait))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            if not task.done():
                self.cancel()
            await task

    async def _emit(self, event: ReplayEvent) -> None:
        if self._callback is not None:
            result = self._callback(event)
            if asyncio.iscoroutine(result):
                await result

    def progress(self, *, done: bool = False) -> ReplayProgress:
        c = self.result.counts
        now = self.clock()
        progressed = c["moved"] + c["would_move"]
        self._samples.append((now, progressed))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        t0, n0 = self._samples[0]
        elapsed = now - self._start
        if now - t0 >= 1.0:
            rate = (progressed - n0) / (now - t0)
        else:
            rate = progressed / elapsed if elapsed > 0 else 0.0
        remaining: int | None
        if self.plan.mode == "native" and not self.plan.dry_run:
            remaining = self._native_remaining
        elif self._ids_left is not None:
            remaining = len(self._ids_left)
        else:
            seen = self._taken + (self.result.unmatched if self.plan.selection.limit is None else 0)
            remaining = max(0, self.plan.estimated - seen)
        if done and not self._stopping:
            remaining = 0
        eta = remaining / rate if remaining is not None and rate > 0 else None
        return ReplayProgress(
            moved=c["moved"],
            failed=c["failed"],
            skipped=c["held"],
            duplicated=c["possibly_duplicated"],
            unmatched=self.result.unmatched,
            would_move=c["would_move"],
            remaining=remaining,
            rate=rate,
            eta_s=eta,
            elapsed_s=elapsed,
            done=done,
        )

    # -- outcomes ------------------------------------------------------------------------------

    async def _record(
        self,
        msg: DlqMessage,
        status: OutcomeStatus,
        reason: str | None = None,
        *,
        out: Outgoing | None = None,
        target_message_id: str | None = None,
    ) -> None:
        outcome = MessageOutcome(
            message_id=msg.message_id,
            status=status,
            reason=reason,
            group_id=msg.group_id,
            request_id=msg.request_id,
            size=out.size if out else msg.size,
            tagged=out.tagged if out else False,
            target_message_id=target_message_id,
            preview=msg.preview(100),
        )
        old = self.result.outcomes.get(msg.message_id)
        if old is not None:
            self.result.counts[old.status] -= 1
        elif status == "moved" and out is not None and not out.tagged:
            self.result.untagged += 1
        self.result.outcomes[msg.message_id] = outcome
        self.result.counts[status] += 1
        if status in ("held", "failed") and self.plan.dlq.fifo and msg.group_id:
            self._blocked_groups.add(msg.group_id)
        if status != "moved":
            await self._emit(outcome)

    # -- client-side ---------------------------------------------------------------------------

    async def _run_client(self) -> None:
        opts = self.options
        keeper = LeaseKeeper(
            self.clients, self.plan.dlq.url, opts.visibility_timeout_s, clock=self.clock
        )
        self._keeper = keeper
        entries, _ = batch_limits(self.plan.target, opts.rate)
        self._limiter = RateLimiter(opts.rate, entries, self.clock)
        keeper.start()
        try:
            await self._emit(self.progress())
            if self._held:
                for held in self._held:
                    keeper.adopt(held.message.message_id, held.lease)
                await self._process([h.message for h in self._held], received_at=None)
            pipelines = 1 if self.plan.dlq.fifo else max(1, opts.concurrency)
            limit = self.plan.selection.limit
            if limit is not None:  # "the first N": no more pipelines than N needs batches
                pipelines = min(pipelines, -(-limit // 10))
            await asyncio.gather(*(self._pipeline() for _ in range(pipelines)))
            seen = len(self._decided)
            if self.plan.dry_run and self.plan.dlq.fifo and seen < self.plan.dlq.visible:
                self.result.notes.append(
                    f"FIFO: the dry run saw {seen} of ~{self.plan.dlq.visible} messages; SQS "
                    "hides a group's later messages while earlier ones are held, so the rest "
                    "cannot be previewed without moving the earlier ones"
                )
        finally:
            await keeper.stop()
            if self._copies_deleted:
                self.result.notes.append(
                    f"{self._copies_deleted} copy(ies) of messages already in the target came "
                    "back to the DLQ during the run and were deleted, not sent again"
                )
            left = len(keeper)
            released = await keeper.release()
            if released < left:
                self.result.notes.append(
                    f"{left - released} message(s) could not be made visible now; they "
                    f"return on their own within {opts.visibility_timeout_s} s"
                )

    def _want(self) -> int:
        if self._ids_left is not None and not self._ids_left:
            return 0
        limit = self.plan.selection.limit
        if limit is not None:
            return max(0, min(10, limit - self._taken))
        return 10

    async def _pipeline(self) -> None:
        try:
            while not self._stopping and not self._drained:
                want = self._want()
                if want <= 0:
                    return
                received_at = self.clock()
                msgs = await self._call(
                    # mypy cannot infer a lambda with a default argument; the call is checked
                    lambda want=want: receive_messages(  # type: ignore[misc]  # see above
                        self.clients,
                        self.plan.dlq.url,
                        max_messages=want,
                        visibility_timeout=self.options.visibility_timeout_s,
                        wait_time_s=self.options.wait_time_s,
                    ),
                    what=f"receive from {self.plan.dlq.name}",
                )
                if msgs is None:
                    return
                if not msgs:
                    self._drained = True
                    return
                await self._process(msgs, received_at=received_at)
                await self._emit(self.progress())
        except Exception as exc:
            self._error = self._error or f"internal error: {describe_error(exc)}"

    async def _call(self, fn: Callable[[], Awaitable[Any]], *, what: str) -> Any:
        """Call with retries on throttling, 5xx and connection errors; on failure stop the run."""
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                return await fn()
            except Exception as exc:
                if not _retryable(exc) or attempt == self.options.max_attempts:
                    self._error = self._error or f"{what} failed: {describe_error(exc)}"
                    return None
                await self._backoff(attempt)
        return None

    @staticmethod
    async def _backoff(attempt: int) -> None:
        await asyncio.sleep(RETRY_BACKOFF.delay(attempt + 1))

    async def _process(self, msgs: list[DlqMessage], *, received_at: float | None) -> None:
        """Decide each message in receive order, then send the ones to move, batch by batch."""
        assert self._keeper is not None
        plan, opts = self.plan, self.options
        stamp = self.now().isoformat(timespec="seconds")
        to_send: list[Outgoing] = []
        returned: list[DlqMessage] = []
        for msg in msgs:
            mid = msg.message_id
            if received_at is not None:
                self._keeper.add(mid, msg.receipt_handle, received_at)
            if mid in self._sent:
                if mid not in self._deleting:  # (else that delete now uses this fresh handle)
                    returned.append(msg)  # already in the target: delete this copy, never resend
                continue
            if mid in self._decided:
                continue  # came back after its lease ran out: it stays held, as decided
            self._decided.add(mid)
            group = msg.group_id if plan.dlq.fifo else None
            if not plan.selection.matches(msg):
                self.result.unmatched += 1
                if group:
                    self._blocked_groups.add(group)
                continue
            if self._ids_left is not None:
                self._ids_left.discard(mid)
            if group and group in self._blocked_groups:
                await self._record(msg, "held", f"behind a held-back message of group {group}")
                continue
            if plan.selection.limit is not None and self._taken >= plan.selection.limit:
                if group:
                    self._blocked_groups.add(group)
                continue  # beyond --max: left in the DLQ, untouched
            self._taken += 1
            verdict = prepare(
                msg,
                dlq=plan.dlq,
                target=plan.target,
                replayed_at=stamp,
                max_replays=opts.max_replays,
                force=opts.force,
            )
            if isinstance(verdict, Refusal):
                await self._record(msg, verdict.status, verdict.reason)
            elif plan.dry_run:
                await self._record(msg, "would_move", out=verdict)
            else:
                to_send.append(verdict)
        if returned:
            await self._delete([(m, None, None) for m in returned])
        max_entries, max_bytes = batch_limits(plan.target, opts.rate)
        for batch in chunk(to_send, max_entries=max_entries, max_bytes=max_bytes):
            if self._stopping:
                return  # not sent: released at the end, still in the DLQ
            ready = []
            for out in batch:
                group = out.message.group_id if plan.dlq.fifo else None
                if group and group in self._blocked_groups:
                    await self._record(
                        out.message, "held", f"behind a failed message of group {group}"
                    )
                else:
                    ready.append(out)
            if ready:
                await self._send(ready)

    async def _wait_for_rate(self, n: int) -> bool:
        """The rate limiter's turn for ``n`` messages, or ``False`` once the run is stopping.

        A cancel must not wait out the rate (at 1 msg/s, minutes for a few pipelines' batches):
        the wait ends with the cancel, and the batch stays in the DLQ, released at the end.
        """
        assert self._limiter is not None
        turn = asyncio.ensure_future(self._limiter.acquire(n))
        cancelled = asyncio.ensure_future(self._cancel.wait())
        try:
            await asyncio.wait((turn, cancelled), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in (turn, cancelled):
                waiting.cancel()
        return turn.done() and not turn.cancelled() and not self._stopping

    async def _send(self, batch: list[Outgoing], *, limited: bool = True) -> None:
        """SendMessageBatch with per-entry results; then delete exactly what was acknowledged."""
        assert self._limiter is not None
        if limited and not await self._wait_for_rate(len(batch)):
            return  # cancelled while waiting for the rate: not sent, released at the end
        sqs = await self.clients.sqs()
        pending = {f"m{i}": out for i, out in enumerate(batch)}
        first_round: set[str] = set()
        acked: list[tuple[DlqMessage, Outgoing | None, str | None]] = []
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                resp = await sqs.send_message_batch(
                    QueueUrl=self.plan.target.url,
                    Entries=[{"Id": k, **out.entry} for k, out in pending.items()],
                )
            except Exception as exc:
                if _retryable(exc) and attempt < self.options.max_attempts:
                    await self._backoff(attempt)
                    continue
                if not _retryable(exc) and len(pending) > 1:
                    # The request as a whole was refused: send one by one to find the culprit.
                    for out in pending.values():
                        await self._send([out], limited=False)
                    pending.clear()
                    break
                reason = f"send failed: {describe_error(exc)}"
                if is_connection_error(exc):
                    reason += " (unconfirmed: it may also have reached the target)"
                for out in pending.values():
                    await self._record(out.message, "failed", reason, out=out)
                pending.clear()
                break
            result = classify_batch(pending, resp)
            for key, ok in result.succeeded.items():
                out = pending.pop(key)
                if attempt == 1:
                    first_round.add(out.message.message_id)
                differs = out.mismatch(ok)
                if differs is not None:  # the target holds something else: keep the original
                    await self._record(
                        out.message,
                        "failed",
                        f"the target acknowledged a different {differs} (MD5 mismatch); "
                        "the DLQ copy is kept",
                        out=out,
                        target_message_id=ok.get("MessageId"),
                    )
                    continue
                self._sent.add(out.message.message_id)
                acked.append((out.message, out, ok.get("MessageId")))
            last = attempt == self.options.max_attempts
            for bad in result.rejected + (result.retryable if last else []):
                out = pending.pop(bad.id)
                await self._record(out.message, "failed", bad.reason, out=out)
            if not pending:
                break
            if last or not result.should_retry:  # entries the answer did not mention
                for out in pending.values():
                    await self._record(out.message, "failed", "no result for this entry", out=out)
                pending.clear()
                break
            await self._backoff(attempt)
        self._note_fifo_order(batch, first_round)
        if acked:
            await self._delete(acked)

    def _note_fifo_order(self, batch: list[Outgoing], first_round: set[str]) -> None:
        """A FIFO entry that failed or needed a retry while a later one of its group went out."""
        if not self.plan.target.fifo:
            return
        for i, out in enumerate(batch):
            if out.message.message_id in first_round:
                continue
            group = out.message.group_id
            if any(
                later.message.group_id == group and later.message.message_id in first_round
                for later in batch[i + 1 :]
            ):
                self.result.notes.append(
                    f"group {group}: message {out.message.message_id} was not delivered in the "
                    "first attempt while a later message of its group was; order may differ"
                )

    async def _delete(self, items: list[tuple[DlqMessage, Outgoing | None, str | None]]) -> None:
        """DeleteMessageBatch for messages the target has; unconfirmed ones are reported."""
        assert self._keeper is not None
        keeper = self._keeper
        sqs = await self.clients.sqs()
        for start in range(0, len(items), 10):
            part = []
            for msg, out, target_id in items[start : start + 10]:
                if msg.message_id in keeper:
                    part.append((msg, out, target_id))
                else:  # never expected: no handle left to delete with
                    await self._unconfirmed_copy(msg, out, target_id, "no receipt handle left")
            if not part:
                continue
            self._deleting.update(m.message_id for m, _, _ in part)
            pending = {f"d{i}": item for i, item in enumerate(part)}
            for attempt in range(1, self.options.max_attempts + 1):
                try:
                    # The newest handle (a pipeline may have re-received the message), and
                    # whether the lease holds as the request leaves: later is too late.
                    entries = [
                        {"Id": k, "ReceiptHandle": keeper.handle(item[0].message_id)}
                        for k, item in pending.items()
                    ]
                    safe = {m.message_id: keeper.is_safe(m.message_id) for m, _, _ in part}
                    resp = await sqs.delete_message_batch(
                        QueueUrl=self.plan.dlq.url, Entries=entries
                    )
                except Exception as exc:
                    if _retryable(exc) and attempt < self.options.max_attempts:
                        await self._backoff(attempt)
                        continue
                    for msg, out, target_id in pending.values():
                        await self._unconfirmed_copy(
                            msg, out, target_id, f"delete failed: {describe_error(exc)}"
                        )
                    pending.clear()
                    break
                result = classify_batch(pending, resp)
                for key in result.succeeded:
                    msg, out, target_id = pending.pop(key)
                    if safe[msg.message_id]:
                        await self._moved(msg, out, target_id)
                    else:
                        await self._unconfirmed_copy(
                            msg, out, target_id, "the DLQ lease ran out before the delete"
                        )
                last = attempt == self.options.max_attempts
                for bad in result.rejected + (result.retryable if last else []):
                    msg, out, target_id = pending.pop(bad.id)
                    why = f"delete refused ({bad.code or 'error'})"
                    if "ReceiptHandle" in (bad.code or ""):
                        why += ": stale receipt handle"
                    await self._unconfirmed_copy(msg, out, target_id, why)
                if not pending or last or not result.should_retry:
                    for msg, out, target_id in pending.values():
                        await self._unconfirmed_copy(msg, out, target_id, "delete unanswered")
                    pending.clear()
                    break
                await self._backoff(attempt)
            keeper.drop(m.message_id for m, _, _ in part)
            self._deleting.difference_update(m.message_id for m, _, _ in part)

    async def _moved(self, msg: DlqMessage, out: Outgoing | None, target_id: str | None) -> None:
        if out is None:  # a copy of a message already in the target came back, now deleted
            self._copies_deleted += 1
            old = self.result.outcomes.get(msg.message_id)
            if old is not None and old.status == "possibly_duplicated":
                await self._record(
                    msg,
                    "moved",
                    "its DLQ copy came back during the run and was deleted then",
                    target_message_id=old.target_message_id,
                )
            return
        await self._record(msg, "moved", out=out, target_message_id=target_id)

    async def _unconfirmed_copy(
        self, msg: DlqMessage, out: Outgoing | None, target_id: str | None, why: str
    ) -> None:
        if out is None:  # a returned copy that still could not be deleted: keep the first record
            return
        await self._record(
            msg,
            "possibly_duplicated",
            f"in the target, but its DLQ copy may remain: {why}",
            out=out,
            target_message_id=target_id,
        )

    # -- native --------------------------------------------------------------------------------

    async def _run_native(self) -> None:
        move = NativeMove(self.clients, self.plan.dlq.arn, self.plan.target.arn)
        started = await self._call(
            lambda: move.start(self.options.rate), what="StartMessageMoveTask"
        )
        if started is None:
            return
        cancel_sent = False
        misses = 0
        while True:
            status = await self._call(move.status, what="ListMessageMoveTasks")
            if status is None:
                misses += 1
                if self._error is not None or misses > 5:
                    self._error = self._error or "the move task is not listed"
                    return
            else:
                self.result.counts["moved"] = status.moved
                if status.to_move is not None:
                    self._native_remaining = max(0, status.to_move - status.moved)
                await self._emit(self.progress())
                if status.finished:
                    if status.status == "FAILED":
                        self._error = f"move task failed: {status.failure_reason or 'no reason'}"
                    return
            if self._cancel.is_set() and not cancel_sent:
                cancel_sent = True
                await self._call(move.cancel, what="CancelMessageMoveTask")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._cancel.wait(), self.options.native_poll_s)
            if cancel_sent:
                await asyncio.sleep(self.options.native_poll_s)
