"""What the app knows about the worker logs: the bounded line buffer, the latency statistics and
the sources' health. One feed per app, fed by one tail, read by the Logs screen and the chart.

Free of Textual, so a test (or the benchmark) can fill it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgewatch.logs.latency import LatencyStats
from edgewatch.logs.models import LineBuffer, LogBatch, SourceNotice

CHART_HISTORY_S = 300  # five minutes of per-second points on the chart
# Notices that describe an ongoing problem (cleared by the source's next "ok").
TROUBLE = frozenset({"throttled", "retrying", "waiting", "error"})


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """The one-line health of the log stream, worst first (``level``: ok, warn or crit)."""

    level: str
    text: str


class LogFeed:
    """Lines (bounded), latency samples (bounded) and the latest notice of each source."""

    def __init__(
        self,
        *,
        buffer_lines: int,
        window_s: float,
        history: int = CHART_HISTORY_S,
    ) -> None:
        self.buffer = LineBuffer(buffer_lines)
        self.latency = LatencyStats(window_s=window_s, history=history)
        self.notices: dict[str, SourceNotice] = {}
        self.sources: tuple[str, ...] = ()
        self.unavailable: str | None = None  # no source configured: said instead of data
        self.failed: str | None = None  # the tail stopped on an unexpected error
        self.paused = False
        self.started = False

    def ingest(self, batch: LogBatch) -> None:
        """Take a batch: lines into the buffer and the latency windows, notices into health."""
        if batch.lines:
            self.buffer.extend(batch.lines)
            self.latency.add_many(batch.lines)
        for notice in batch.notices:
            if notice.kind == "ok":
                self.notices.pop(notice.source, None)
            else:
                self.notices[notice.source] = notice

    def status(self) -> FeedStatus:
        """What is wrong (or not) with the stream, for a status line: never a traceback."""
        if self.unavailable is not None:
            return FeedStatus("warn", self.unavailable)
        if self.failed is not None:
            return FeedStatus("crit", f"log tail stopped: {self.failed} · r restarts it")
        trouble = [n for n in self.notices.values() if n.kind in TROUBLE]
        errors = [n for n in trouble if n.kind == "error"]
        if errors or trouble:
            notice = (errors or trouble)[0]
            text = f"{notice.source}: {notice.message}"
            if notice.retry_in_s is not None:
                text += f" (retry in {notice.retry_in_s:.0f}s)"
            more = len(trouble) - 1
            if more:
                text += f" (+{more} more)"
            return FeedStatus("crit" if errors else "warn", text)
        info = list(self.notices.values())
        if info:  # rotated, truncated: worth saying, nothing to fix
            return FeedStatus("ok", f"{info[-1].source}: {info[-1].message}")
        if not self.started:
            return FeedStatus("ok", "not started")
        return FeedStatus("ok", "")
