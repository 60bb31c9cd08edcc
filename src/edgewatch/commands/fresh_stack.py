"""Why a one-shot log command on the embedded stack found nothing.

Each command starts its own embedded stack, so a ``--since`` span reaches back before its
consumers ever ran: an empty answer there is expected, and the operator is told so instead of
being left to wonder whether the logs are broken.
"""

from __future__ import annotations

from edgewatch.runtime import Runtime

FRESH_STACK_REASON = (
    "the embedded stack just started: no consumer logs yet (each command starts its own; "
    "follow them with tail -f, or watch them in the console)"
)


def fresh_stack_reason(runtime: Runtime | None, lines: int) -> str | None:
    """:data:`FRESH_STACK_REASON` when no line was read from a just-started embedded stack."""
    if runtime is not None and runtime.embedded and lines == 0:
        return FRESH_STACK_REASON
    return None
