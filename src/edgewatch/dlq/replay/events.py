"""What a replay reports: its plan, per-message outcomes, progress events and the final result.

Everything here is plain data (no I/O) so that the CLI prints it, ``--json`` serialises it and a
TUI renders it from a worker's messages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from edgewatch.dlq.models import QueueInfo
from edgewatch.dlq.replay.native import NativeSupport
from edgewatch.dlq.selection import Selection

Mode = Literal["client", "native"]
OutcomeStatus = Literal["moved", "failed", "held", "possibly_duplicated", "would_move"]
STATUSES: tuple[OutcomeStatus, ...] = (
    "moved",
    "failed",
    "held",
    "possibly_duplicated",
    "would_move",
)


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How a replay runs. ``rate`` is messages per second (``None``: as fast as SQS allows)."""

    rate: float | None = None
    max_replays: int = 3
    force: bool = False
    visibility_timeout_s: int = 60
    concurrency: int = 4  # receive/send pipelines for standard DLQs; FIFO always uses one
    wait_time_s: int = 1  # long poll: an empty answer then really means "nothing visible"
    max_attempts: int = 5  # per API call, for throttling, 5xx and connection errors
    native_poll_s: float = 2.0
    read_only: bool = False  # settings.read_only: only dry runs are allowed


@dataclass(frozen=True)
class ReplayPlan:
    """Everything a confirmation dialog shows before anything moves."""

    dlq: QueueInfo
    target: QueueInfo
    target_reason: str
    mode: Mode
    selection: Selection
    dry_run: bool
    estimated: int  # messages visible in the DLQ now, bounded by the selection's limit / ids
    options: ReplayOptions
    native: NativeSupport | None = None
    warnings: tuple[str, ...] = ()
    # The DLQ screen holds what it shows: SQS counts those in flight too. It says how many of
    # the in-flight ones are others' (``None``: all of them) and how many it gave back to this.
    in_flight_others: int | None = None
    given_back: int = 0

    def with_dry_run(self, dry_run: bool = True) -> ReplayPlan:
        """The same plan as a dry run (for a preview before confirming), or back."""
        return replace(self, dry_run=dry_run)

    @property
    def native_eligible(self) -> bool:
        """AWS's move task can do this replay (all messages, unfiltered)."""
        return self.selection.is_all

    def summary(self) -> list[str]:
        """Lines for a confirmation prompt."""
        verb = "Dry run: would replay" if self.dry_run else "Replay"
        how = "client-side" if self.mode == "client" else "native move task (StartMessageMoveTask)"
        lines = [
            f"{verb} {self.selection.describe()} (~{self.estimated} visible now)",
            f"  from {self.dlq.name}{' (FIFO)' if self.dlq.fifo else ''}",
            f"  to   {self.target.name}{' (FIFO)' if self.target.fifo else ''}"
            f" — {self.target_reason}",
            f"  mode {how}"
            + (f", at most {self.options.rate:g} msg/s" if self.options.rate else ""),
        ]
        lines += [f"  note: {w}" for w in self.warnings]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "dlq": self.dlq.to_json(),
            "target": self.target.to_json(),
            "target_reason": self.target_reason,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "selection": self.selection.to_json(),
            "estimated": self.estimated,
            "rate": self.options.rate,
            "max_replays": self.options.max_replays,
            "force": self.options.force,
            "native": None
            if self.native is None
            else {"supported": self.native.supported, "reason": self.native.reason},
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    """What happened to one DLQ message. ``preview`` is already safe to print."""

    message_id: str
    status: OutcomeStatus
    reason: str | None = None
    group_id: str | None = None
    request_id: str | None = None
    size: int = 0
    tagged: bool = False
    target_message_id: str | None = None
    preview: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "status": self.status,
            "reason": self.reason,
            "group_id": self.group_id,
            "request_id": self.request_id,
            "size": self.size,
            "tagged": self.tagged,
            "target_message_id": self.target_message_id,
            "preview": self.preview,
        }


@dataclass(frozen=True, slots=True)
class ReplayProgress:
    """Counts so far. ``remaining`` and ``eta_s`` are estimates (``None`` when unknown)."""

    moved: int
    failed: int
    skipped: int  # held back by policy (replay limit, no room for the record, FIFO order)
    duplicated: int  # possibly duplicated: sent, but the DLQ copy's deletion is unconfirmed
    unmatched: int  # looked at, not selected
    would_move: int  # dry run
    remaining: int | None
    rate: float  # messages moved per second, recent
    eta_s: float | None
    elapsed_s: float
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReplayResult:
    """The end of a replay: counts, every outcome, and whether it was complete."""

    plan: ReplayPlan
    outcomes: dict[str, MessageOutcome] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    untagged: int = 0
    cancelled: bool = False
    error: str | None = None
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return self.counts["moved"]

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    @property
    def held(self) -> int:
        return self.counts["held"]

    @property
    def duplicated(self) -> int:
        return self.counts["possibly_duplicated"]

    @property
    def would_move(self) -> int:
        return self.counts["would_move"]

    @property
    def ok(self) -> bool:
        """Nothing failed, nothing possibly duplicated, no error: exit code 0."""
        return not (self.failed or self.duplicated or self.error)

    def by_status(self, status: OutcomeStatus) -> list[MessageOutcome]:
        return [o for o in self.outcomes.values() if o.status == status]

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_json(),
            "moved": self.moved,
            "failed": self.failed,
            "skipped": self.held,
            "possibly_duplicated": self.duplicated,
            "would_move": self.would_move,
            "unmatched": self.unmatched,
            "untagged": self.untagged,
            "cancelled": self.cancelled,
            "error": self.error,
            "elapsed_s": round(self.elapsed_s, 3),
            "notes": self.notes,
            "messages": [o.to_json() for o in self.outcomes.values() if o.status != "moved"],
            "moved_ids": [o.message_id for o in self.outcomes.values() if o.status == "moved"],
        }


@dataclass(frozen=True, slots=True)
class ReplayFinished:
    result: ReplayResult


ReplayEvent = ReplayProgress | MessageOutcome | ReplayFinished
