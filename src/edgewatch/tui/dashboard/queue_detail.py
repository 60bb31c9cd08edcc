"""The detail pane for the highlighted queue: history sparklines, ages, error, thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from edgewatch.config import WARN_FRACTION, Thresholds, threshold_level
from edgewatch.consumers import PARTIAL_OFF, QueueConsumers
from edgewatch.display import formatting as fmt
from edgewatch.display.escape import escape, safe
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import History, QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.common.text_static import TextStatic
from edgewatch.tui.dashboard.queue_table import row_key

SERIES = (
    ("visible", "visible"),
    ("in_flight", "in flight"),
    ("dlq_visible", "DLQ depth"),
)


def _limit(name: str, limit: float | None) -> str:
    if limit is None:
        return f"{name} off"
    as_text = fmt.humanise_age if name == "age" else (lambda v: f"{math.ceil(v):,}")
    if limit <= 0:
        return f"{name} crit >0"
    warn = limit * WARN_FRACTION
    if math.ceil(warn) >= limit:
        return f"{name} crit ≥{as_text(limit)}"
    return f"{name} warn ≥{as_text(warn)} crit ≥{as_text(limit)}"


def describe_thresholds(t: Thresholds) -> str:
    """Thresholds as the operator reads them (warn is 75 % of each limit, from the config)."""
    return " · ".join(
        [
            _limit("depth", t.depth),
            _limit("age", t.age_s),
            _limit("DLQ", t.dlq_depth),
        ]
    )


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}/s"


def forecast_text(f: Forecast | None, palette: Palette) -> Text:
    """One line: the forecast and its inputs (rates and where they came from, retention)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("forecast ", style="bold")
    if f is None or f.backlog is None:
        text.append("n/a (no numbers yet)", style=palette.muted)
        return text
    if f.trend == "draining":
        text.append(f"drains in {fmt.humanise_age(f.drain_eta_s)}")
    elif f.trend == "growing":
        text.append(f"growing at {_rate(f.growing_per_s)}", style=palette.warn)
    elif f.trend is None:
        text.append("trend n/a (needs two polls or CloudWatch counts)", style=palette.muted)
    else:
        text.append(escape(f.trend))
    if f.loss_eta_s is not None:
        style = palette.crit if f.loss_eta_s < 3600 else ""
        text.append(" · loss in ")
        text.append(fmt.humanise_age(f.loss_eta_s), style=style)
    for flag, label in ((f.stalled, "stalled"), (f.retries_to_dlq, "retries → DLQ")):
        if flag:
            text.append(escape(f" · {label}"), style=f"bold {palette.crit}")
    if f.dlq_growing:
        text.append(f" · DLQ +{_rate(f.dlq_inflow_per_s)}", style=f"bold {palette.crit}")
    if f.dlq_expiry_s is not None:
        if f.dlq_expiry_basis != "worst_case":
            text.append(escape(f" · DLQ expiry {fmt.humanise_age(f.dlq_expiry_s)}"))
        elif f.dlq_expiry_s > 0:  # a lower bound on the time left
            text.append(escape(f" · DLQ expiry ≥{fmt.humanise_age(f.dlq_expiry_s)}"))
        else:  # "at least 0 s" says nothing; what it does say is worth a warning
            text.append(
                " · DLQ expiry any time (its retention is not longer than the source's)",
                style=palette.warn,
            )
    source = f.rate_source or "no rate yet"
    text.append(
        escape(
            f"   (in {_rate(f.in_per_s)} out {_rate(f.out_per_s)}"
            f" net {_rate(f.net_per_s)} {source}; retention {fmt.humanise_age(f.retention_s)})"
        ),
        style=palette.muted,
    )
    return text


def spark_key(points: Sequence[float]) -> tuple[float, ...] | str:
    """What a ``Sparkline`` draws from ``points``: a flat series looks the same at any length.

    An idle queue's history grows by one equal point per poll; comparing the data itself would
    repaint its sparklines every second for nothing.
    """
    if len(points) >= 2 and min(points) == max(points):
        return "flat"
    return tuple(points)


@dataclass(frozen=True, slots=True)
class DetailContext:
    """What the pane needs besides the queue: the time now and where thresholds came from."""

    now: float
    global_thresholds: Thresholds
    metrics_error: str | None = None
    consumers: QueueConsumers | None = None  # discovered; None: not looked up (yet)
    forecast: Forecast | None = None
    config_file: bool = True  # thresholds can come from a config file (else: defaults)
    age_carried: bool = False  # the table shows the oldest age carried forward (the fleet's)


class QueueDetail(Vertical):
    """Sparklines of the highlighted queue's history (Textual ``Sparkline`` widgets)."""

    _title: str | None = None

    def compose(self) -> ComposeResult:
        yield TextStatic(id="detail-head")
        for metric, label in SERIES:
            with Horizontal(classes="detail-series"):
                yield Label(label, classes="series-label")
                yield Sparkline([], id=f"spark-{metric}", classes="series-spark")
                yield TextStatic(id=f"value-{metric}", classes="series-value")
        yield TextStatic(id="detail-info")
        yield TextStatic(id="detail-thresholds")
        yield TextStatic(id="detail-consumer")

    def on_mount(self) -> None:
        self.query_one("#detail-consumer").display = False

    def show(
        self, q: QueueStatus | None, history: History, palette: Palette, ctx: DetailContext
    ) -> None:
        """Render ``q`` (``None`` clears the pane); every AWS string goes in as literal Text."""
        # Every part has a fixed size: updates repaint in place, without a screen re-layout.
        head = self.query_one("#detail-head", TextStatic)
        info = self.query_one("#detail-info", TextStatic)
        thresholds = self.query_one("#detail-thresholds", TextStatic)
        if q is None:
            self.border_title = None
            head.show(Text.assemble(("No queue selected", palette.muted)))
            for metric, _ in SERIES:
                self.query_one(f"#spark-{metric}", Sparkline).data = []
                self.query_one(f"#value-{metric}", TextStatic).show("")
            info.show("")
            thresholds.show("")
            self.query_one("#detail-consumer").display = False
            self.set_class(False, "-consumer")
            return

        if self._title != q.name:
            self._title = q.name
            self.border_title = safe(q.name, one_line=True)
        kind = "dead-letter queue" if q.is_dlq else ("FIFO queue" if q.fifo else "queue")
        head.show(Text.assemble((kind, "bold"), "  ", (q.url or "(URL unresolved)", "dim")))

        key = row_key(q)
        current = {
            "visible": q.visible,
            "in_flight": q.in_flight,
            "dlq_visible": q.dlq.visible if q.dlq else None,
        }
        for metric, _ in SERIES:
            points = [v for v in history.series(key, metric) if v is not None]
            spark = self.query_one(f"#spark-{metric}", Sparkline)
            if metric == "dlq_visible":
                # No DLQ (or a DLQ itself): a flat zero line would mean nothing; the space stays.
                spark.visible = q.dlq is not None
                if q.dlq is None:
                    points = []
            if spark_key(spark.data or []) != spark_key(points):
                spark.data = points
            value = current[metric]
            if metric == "dlq_visible" and q.dlq is None:
                shown = Text.assemble(("no DLQ", palette.muted))
            else:
                style = ""
                if metric == "visible":
                    style = palette.level(q.depth_level)
                elif metric == "dlq_visible":
                    style = palette.level(q.dlq_level)
                shown = Text.assemble((fmt.count(value), style))
                if points:
                    shown.append(f"  max {fmt.count(int(max(points)))}", style=palette.muted)
            self.query_one(f"#value-{metric}", TextStatic).show(shown)

        info.show(self._info(q, palette, ctx))
        consumer = self.query_one("#detail-consumer", TextStatic)
        with_consumer = ctx.consumers is not None and not q.is_dlq
        if consumer.display != with_consumer:
            consumer.display = with_consumer
            self.set_class(with_consumer, "-consumer")
        if with_consumer and ctx.consumers is not None:
            consumer.show(consumer_text(ctx.consumers, palette))
        if q.thresholds != ctx.global_thresholds:
            source = "per-queue, from config"
        else:
            source = "global, from config" if ctx.config_file else "defaults: no config file"
        thresholds.show(
            Text.assemble(
                ("thresholds ", "bold"),
                describe_thresholds(q.thresholds),
                (f"  ({source})", palette.muted),
            )
        )

    @staticmethod
    def _info(q: QueueStatus, palette: Palette, ctx: DetailContext) -> Text:
        """Two lines: ages and freshness; then the error, the staleness or the DLQ."""
        text = Text()
        text.append("delayed ")
        text.append(fmt.count(q.delayed))
        text.append(" · oldest ")
        carried = ctx.forecast.oldest_age_s if ctx.forecast is not None else None
        # The fleet's rows show CloudWatch's datapoint carried forward to the read: so does this.
        carry = ctx.age_carried and carried is not None and q.oldest_age_at is not None
        if carry:
            level = threshold_level(carried, q.thresholds.age_s)
            text.append(fmt.humanise_age(carried), style=palette.level(level))
        else:
            text.append(fmt.humanise_age(q.oldest_age_s), style=palette.level(q.age_level))
        if q.oldest_age_at is not None:
            age_of_point = fmt.humanise_age(ctx.now - q.oldest_age_at.timestamp())
            said = f"CloudWatch said {fmt.humanise_age(q.oldest_age_s)}, " if carry else ""
            text.append(escape(f" ({said}datapoint {age_of_point} old)"), style=palette.muted)
        elif ctx.metrics_error:
            text.append(" (CloudWatch: ", style=palette.muted)
            text.append(escape(ctx.metrics_error), style=palette.warn)
            text.append(")", style=palette.muted)
        else:
            text.append(" (no CloudWatch datapoint)", style=palette.muted)
        text.append(" · updated ")
        text.append(fmt.ago(q.updated_at, ctx.now))
        text.append("\n")
        if q.error:
            text.append("error: ", style=f"bold {palette.crit}")
            text.append(escape(q.error), style=palette.crit)
        elif q.stale:
            text.append("stale: ", style=f"bold {palette.warn}")
            text.append("the last request has not answered yet; showing the previous read")
        elif q.dlq is not None:
            text.append("DLQ ", style="bold")
            text.append(escape(q.dlq.name))
            text.append(" · ")
            text.append(fmt.count(q.dlq.visible), style=palette.level(q.dlq_level))
            text.append(" visible · oldest ")
            text.append(fmt.humanise_age(q.dlq.oldest_age_s))
        elif q.is_dlq:
            text.append("dead-letter queue of another watched queue", style=palette.muted)
        else:
            text.append("no DLQ (no RedrivePolicy)", style=palette.muted)
        text.append("\n")
        text.append_text(forecast_text(ctx.forecast, palette))
        return text


MAX_SHOWN = 1  # the pane has two lines for it


def consumer_text(found: QueueConsumers, palette: Palette) -> Text:
    """The queue's consumers as its event source mappings say, or why none is shown."""
    text = Text()
    if found.explanation is not None:
        text.append("consumer ", style="bold")
        style = palette.warn if found.error else palette.muted
        text.append(escape(found.explanation), style=style)
        if found.configured_groups:
            text.append(
                f" · logs {', '.join(found.configured_groups)} (config)", style=palette.muted
            )
        return text
    for i, c in enumerate(found.consumers[:MAX_SHOWN]):
        if i:
            text.append("\n")
        text.append("consumer ", style="bold")
        text.append(escape(f"λ {c.function_name}", one_line=True))
        state_style = palette.ok if c.state == "Enabled" else palette.warn
        text.append(" · ")
        text.append(escape(c.state, one_line=True), style=state_style)
        window = "—" if c.batching_window_s is None else f"{c.batching_window_s}s"
        concurrency = "—" if c.max_concurrency is None else str(c.max_concurrency)
        batch = "—" if c.batch_size is None else str(c.batch_size)
        text.append(escape(f" · batch {batch} · window {window} · max concurrency {concurrency}"))
        text.append("\n")
        if c.report_batch_item_failures:
            text.append("ReportBatchItemFailures on", style=palette.ok)
        else:
            text.append(PARTIAL_OFF, style=f"bold {palette.warn}")
        groups = found.log_groups if found.configured_groups else (c.log_group,)
        source = " (config)" if found.configured_groups else ""
        text.append(
            escape(f" · logs {', '.join(groups)}{source}", one_line=True), style=palette.muted
        )
        if c.problem:
            text.append(escape(f" · {c.problem}", one_line=True), style=palette.warn)
    more = len(found.consumers) - MAX_SHOWN
    if more > 0:
        text.append(escape(f" (+{more} more)"), style=palette.muted)
    return text
