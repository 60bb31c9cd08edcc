"""What a log line says about the invocation it belongs to, pulled out once at parse time.

Every format module fills a :class:`LineInfo`; filters, the latency engine and the DLQ's "why did
it fail" read it and never look at the raw message again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# app: an application line; start/end/report/init_start/init_report/xray: Lambda's own lines
# (plain text or ``platform.*`` records); runtime_done: ``platform.runtimeDone``; emf: metrics.
LineKind = Literal[
    "app", "start", "end", "report", "init_start", "init_report", "runtime_done", "xray", "emf"
]
FormatName = Literal[
    "text", "lambda_text", "lambda_json", "powertools", "emf", "edgewatch", "json", "mapped"
]
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})


@dataclass(frozen=True, slots=True)
class LineInfo:
    """The fields a format yields; ``None`` (or empty) where the line does not say.

    ``duration_ms`` is the invocation's own duration (REPORT ``Duration``, ``platform.report``
    ``durationMs``), never the billed one. ``init_duration_ms`` is present on cold starts only.
    ``status`` is ``success``, ``error`` or ``timeout`` where the line reports an outcome.
    ``latency_ms``/``queue_lag_ms``/``emitted_at_ms`` come from the worker's own fields.
    """

    format: FormatName = "text"
    kind: LineKind = "app"
    message_ids: tuple[str, ...] = ()
    record_time_ms: float | None = None  # the time the record carries itself (any zone → UTC)
    duration_ms: float | None = None
    init_duration_ms: float | None = None
    status: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    latency_ms: float | None = None
    queue_lag_ms: float | None = None
    emitted_at_ms: float | None = None
    correlation_id: str | None = None  # an ID the application chose (Powertools, edge request)
    receive_count: int | None = None  # the SQS receive attempt the handler logged
    summary: str | None = None  # a compact rendering (EMF metrics), shown instead of the raw line
    # Where the application's own text starts in the raw message (after a runtime's
    # ``[LEVEL]\t<time>\t<request id>\t`` prefix): the one-line view skips what its columns show.
    body_start: int | None = None

    @property
    def cold_start(self) -> bool:
        return self.kind == "report" and self.init_duration_ms is not None

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "kind": self.kind,
            "message_ids": list(self.message_ids),
            "duration_ms": self.duration_ms,
            "init_duration_ms": self.init_duration_ms,
            "status": self.status,
            "error_type": self.error_type,
            "error_message": self.error_message,
            "correlation_id": self.correlation_id,
            "receive_count": self.receive_count,
        }


PLAIN = LineInfo()
