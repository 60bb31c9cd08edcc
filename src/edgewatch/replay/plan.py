"""Planning a replay: resolve the DLQ and its target, choose the mode, estimate. Moves nothing."""

from __future__ import annotations

from typing import Literal

from edgewatch.aws import AwsClients
from edgewatch.replay.events import Mode, ReplayOptions, ReplayPlan
from edgewatch.replay.native import detect_native
from edgewatch.replay.queues import ReplayError, queue_info, resolve_target
from edgewatch.replay.selection import Selection

READ_ONLY = "read-only mode: replay is refused (a dry run is allowed)"
RECEIVE_NOTE = (
    "every message looked at is received: its ApproximateReceiveCount rises by 1 (those not "
    "moved are made visible again at the end)"
)


async def plan_replay(
    clients: AwsClients,
    dlq: str,
    *,
    to: str | None = None,
    selection: Selection | None = None,
    options: ReplayOptions | None = None,
    dry_run: bool = False,
    mode: Literal["client", "native", "auto"] = "client",
) -> ReplayPlan:
    """Resolve the DLQ and its target, pick the mode, and estimate the count. Moves nothing.

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
    warnings: list[str] = []
    chosen: Mode = "client"
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
            if native.supported:
                chosen = "native"
            elif mode == "native":
                warnings.append(f"native move unavailable: {native.reason}; using client-side")
    if chosen == "native":
        warnings.append("a native move adds no edgewatch.replay record and ignores the limit")
        if dry_run:
            warnings.append("the dry run reads the DLQ client-side to list what would move")
    if chosen == "client" or dry_run:
        warnings.append(RECEIVE_NOTE)
    if dlq_info.fifo and not target.fifo:
        warnings.append("FIFO DLQ to a standard queue: the target does not keep group order")
    if dlq_info.fifo and not selection.is_all:
        warnings.append(
            "FIFO: a message left in the DLQ holds back the later messages of its group"
        )
    estimated = dlq_info.visible
    if selection.limit is not None:
        estimated = min(estimated, selection.limit)
    if selection.message_ids is not None:
        estimated = min(estimated, len(selection.message_ids))
    if dlq_info.in_flight:
        warnings.append(
            f"{dlq_info.in_flight} DLQ message(s) are in flight (invisible): they are not "
            "replayed unless they become visible during the run"
        )
    return ReplayPlan(
        dlq=dlq_info,
        target=target,
        target_reason=how,
        mode=chosen,
        selection=selection,
        dry_run=dry_run,
        estimated=estimated,
        options=options,
        native=native,
        warnings=tuple(warnings),
    )
