"""Planning a replay: resolve the DLQ and its target, choose the mode, estimate. Moves nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from edgewatch.aws import AwsClients
from edgewatch.config import ReplaySettings
from edgewatch.dlq.queues import ReplayError, queue_info, resolve_target
from edgewatch.dlq.replay.events import Mode, ReplayOptions, ReplayPlan
from edgewatch.dlq.replay.native import NativeSupport, detect_native
from edgewatch.dlq.selection import Selection

READ_ONLY = "read-only mode: replay is refused (a dry run is allowed)"
RECEIVE_NOTE = (
    "every message looked at is received: its ApproximateReceiveCount rises by 1 (those not "
    "moved are made visible again at the end)"
)

RequestedMode = Literal["client", "native", "auto"]


def replay_options(
    defaults: ReplaySettings,
    *,
    read_only: bool,
    rate: float | None = None,
    force: bool = False,
    visibility_timeout_s: int | None = None,
    concurrency: int | None = None,
) -> ReplayOptions:
    """The configured replay defaults with one run's overrides (the CLI's flags; the console has
    none): one mapping, so that both run a replay alike."""
    return ReplayOptions(
        rate=rate if rate is not None else defaults.rate,
        max_replays=defaults.max_replays,
        force=force,
        visibility_timeout_s=visibility_timeout_s or defaults.visibility_timeout_s,
        concurrency=concurrency or defaults.concurrency,
        read_only=read_only,
    )


async def plan_replay(
    clients: AwsClients,
    dlq: str,
    *,
    to: str | None = None,
    selection: Selection | None = None,
    options: ReplayOptions | None = None,
    dry_run: bool = False,
    mode: RequestedMode = "client",
    in_flight_others: int | None = None,
    given_back: int = 0,
) -> ReplayPlan:
    """Resolve the DLQ and its target, pick the mode, and estimate the count. Moves nothing.

    A caller that holds DLQ messages itself (the DLQ screen) says how many of SQS's in-flight
    ones are others' (``in_flight_others``) and how many it released for this replay
    (``given_back``), so the in-flight note does not count its own as other consumers'.

    ``mode="native"`` asks for AWS's move task: refused for a partial selection, and replaced by
    client-side replay (with a warning) where the endpoint lacks it. ``"auto"`` uses it when
    eligible and available.
    """
    selection = selection or Selection()
    options = options or ReplayOptions()
    if options.read_only and not dry_run:
        raise ReplayError(READ_ONLY)
    if not 1 <= options.visibility_timeout_s <= 43_200:
        raise ReplayError("the visibility timeout must be between 1 s and 12 h")
    dlq_info = await queue_info(clients, dlq)
    target, how = await resolve_target(clients, dlq_info, to)
    native = None
    if mode in ("native", "auto"):
        if not selection.is_all:
            if mode == "native":
                raise ReplayError(
                    "a native move task moves every message: it cannot take --max, --filter "
                    "or selected ids"
                )
        else:
            native = await detect_native(clients, dlq_info.arn)
    estimated = dlq_info.visible
    if selection.limit is not None:
        estimated = min(estimated, selection.limit)
    if selection.message_ids is not None:
        estimated = min(estimated, len(selection.message_ids))
    base = ReplayPlan(
        dlq=dlq_info,
        target=target,
        target_reason=how,
        mode="client",
        selection=selection,
        dry_run=dry_run,
        estimated=estimated,
        options=options,
        in_flight_others=in_flight_others,
        given_back=given_back,
    )
    return _settle(base, mode, native)


def _settle(plan: ReplayPlan, requested: RequestedMode, native: NativeSupport | None) -> ReplayPlan:
    """``plan`` in the mode ``requested`` can have, with the notes that mode needs (no I/O)."""
    dlq_info, selection, dry_run = plan.dlq, plan.selection, plan.dry_run
    warnings: list[str] = []
    chosen: Mode = "client"
    if requested in ("native", "auto") and native is not None and selection.is_all:
        why_not = _native_refusal(plan, native)
        if why_not is None:
            chosen = "native"
        elif requested == "native":
            warnings.append(f"native move unavailable: {why_not}; using client-side")
    if chosen == "native":
        warnings.append("a native move adds no edgewatch.replay record and ignores the limit")
        if native is not None and native.active is not None:
            warnings.append(_active_note(native))
        if dry_run:
            warnings.append("the dry run reads the DLQ client-side to list what would move")
    if chosen == "client" or dry_run:
        warnings.append(RECEIVE_NOTE)
    if dlq_info.fifo and not plan.target.fifo:
        warnings.append("FIFO DLQ to a standard queue: the target does not keep group order")
    if dlq_info.fifo and not selection.is_all:
        warnings.append(
            "FIFO: a message left in the DLQ holds back the later messages of its group"
        )
    note = _in_flight_note(plan)
    if note:
        warnings.append(note)
    return replace(plan, mode=chosen, native=native, warnings=tuple(warnings))


@dataclass(frozen=True, slots=True)
class NativeOffer:
    """Whether SQS's own move task can do a planned replay instead, and why (not).

    ``plan`` is the same replay as a native move task, or ``None`` when it cannot be one;
    ``reason`` is one line for the operator either way.
    """

    plan: ReplayPlan | None
    reason: str

    @property
    def available(self) -> bool:
        return self.plan is not None


async def offer_native(clients: AwsClients, plan: ReplayPlan) -> NativeOffer:
    """The native alternative to a client-side ``plan``, for a console to offer.

    Only "all, unfiltered" is eligible (the move task takes everything); only then is the
    endpoint asked, with the one read-only call :func:`detect_native` makes.
    """
    if not plan.native_eligible:
        return NativeOffer(None, f"not offered — it moves every message, not {_part(plan)}")
    support = plan.native or await detect_native(clients, plan.dlq.arn)
    if (why_not := _native_refusal(plan, support)) is not None:
        return NativeOffer(None, f"not available — {why_not}; client-side replay is used")
    native = _settle(plan.with_dry_run(False), "native", support)
    return NativeOffer(
        native, "available — SQS moves every message server-side, without a replay record"
    )


def _in_flight_note(plan: ReplayPlan) -> str | None:
    """Others' in-flight messages are not replayed; a selection of held ids is not concerned."""
    if plan.selection.message_ids is not None:
        return None
    others = plan.dlq.in_flight if plan.in_flight_others is None else plan.in_flight_others
    notes = []
    if others:
        notes.append(
            f"{others} DLQ message(s) are in flight elsewhere (invisible, held by another "
            "consumer): they are not replayed unless they become visible during the run"
        )
    if plan.given_back:
        notes.append(
            f"the {plan.given_back} message(s) this browse held were given back and are replayed"
        )
    return "; ".join(notes) or None


def _native_refusal(plan: ReplayPlan, native: NativeSupport) -> str | None:
    """Why a move task cannot do ``plan`` here, or ``None`` when it can."""
    if not native.supported:
        return native.reason
    if plan.dlq.fifo != plan.target.fifo:
        return "a move task needs a target of the DLQ's type (AWS redrives FIFO to FIFO only)"
    return None


def _active_note(native: NativeSupport) -> str:
    task = native.active
    assert task is not None
    of = f" of {task.to_move}" if task.to_move is not None else ""
    return (
        f"a move task is already {task.status} on this DLQ ({task.moved}{of} moved): SQS runs "
        "one per queue, so starting another fails until it ends"
    )


def _part(plan: ReplayPlan) -> str:
    selection = plan.selection
    if selection.message_ids is not None:
        return "a selection"
    if selection.filters:
        return "only those matching a filter"
    return f"only the first {selection.limit}"
