"""The queue detail's forecast line: what a DLQ expiry bound means, in words."""

from __future__ import annotations

from edgewatch.forecast.model import Forecast
from edgewatch.tui.common.palette import Palette
from edgewatch.tui.dashboard.queue_detail import forecast_text

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
