"""The queue detail's lines: what a DLQ expiry bound means, and which oldest age is shown."""

from __future__ import annotations

from datetime import UTC, datetime

from edgewatch.config import Thresholds
from edgewatch.forecast.model import Forecast
from edgewatch.metrics.models import QueueStatus
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dashboard.queue_detail import DetailContext, QueueDetail, forecast_text

PALETTE = Palette(ok="green", warn="yellow", crit="red", accent="blue")


def test_dlq_expiry_exact_bound_and_empty_bound():
    exact = forecast_text(
        Forecast(backlog=0, dlq_backlog=3, dlq_expiry_s=7200, dlq_expiry_basis="enqueue_time"),
        PALETTE,
    ).plain
    assert "DLQ expiry 2h00m" in exact
    bound = forecast_text(
        Forecast(backlog=0, dlq_backlog=3, dlq_expiry_s=7200, dlq_expiry_basis="worst_case"),
        PALETTE,
    )
    assert "DLQ expiry ≥2h00m" in bound.plain
    # A worst case of 0: the DLQ keeps messages no longer than the source queue did, so any of
    # them may expire now. "≥0s" would say nothing; the line says what it means.
    vacuous = forecast_text(
        Forecast(backlog=0, dlq_backlog=3, dlq_expiry_s=0.0, dlq_expiry_basis="worst_case"), PALETTE
    )
    assert "≥0s" not in vacuous.plain
    assert "DLQ expiry any time (its retention is not longer than the source's)" in vacuous.plain


def test_the_fleet_detail_shows_the_rows_oldest_age_and_says_where_it_came_from():
    point = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    now = point.timestamp() + 51
    q = QueueStatus("orders", None, 3, 0, 0, oldest_age_s=1.0, oldest_age_at=point)
    carried = Forecast(backlog=3, oldest_age_s=52.0)
    ctx = DetailContext(now=now, global_thresholds=Thresholds(), forecast=carried)
    plain = QueueDetail._info(q, PALETTE, ctx).plain
    assert "oldest 1s (datapoint 51s old)" in plain  # the queue table shows the datapoint
    fleet = DetailContext(
        now=now, global_thresholds=Thresholds(), forecast=carried, age_carried=True
    )
    line = QueueDetail._info(q, PALETTE, fleet).plain
    assert "oldest 52s (CloudWatch said 1s, datapoint 51s old)" in line  # as the fleet row
