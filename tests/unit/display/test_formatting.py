"""Formatting rules: unknown is never shown as 0, ages read like an operator speaks."""

from __future__ import annotations

import pytest

from edgewatch.config import Thresholds
from edgewatch.display import formatting as fmt
from edgewatch.tui.dashboard.queue_detail import describe_thresholds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "n/a"),
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m00s"),
        (305, "5m05s"),
        (3600, "1h00m"),
        (86399, "23h59m"),
        (90000, "1d01h"),
        (-3, "0s"),
    ],
)
def test_humanise_age(seconds: float | None, text: str) -> None:
    assert fmt.humanise_age(seconds) == text


def test_ago_and_count() -> None:
    assert fmt.ago(None, 100.0) == "never"
    assert fmt.ago(97.0, 100.0) == "3s ago"
    assert fmt.count(None) == "—"
    assert fmt.count(0) == "0"
    assert fmt.count(1234567) == "1,234,567"


def test_truncate() -> None:
    assert fmt.truncate("orders", 10) == "orders"
    assert fmt.truncate("a-very-long-queue-name", 8) == "a-very-…"
    assert fmt.truncate("x", 0) == ""


def test_truncate_middle_keeps_the_distinguishing_end() -> None:
    assert fmt.truncate_middle("orders", 10) == "orders"
    assert fmt.truncate_middle("edge-analytics-dlq.fifo", 14) == "edge…-dlq.fifo"
    assert fmt.truncate_middle("edge-analytics-dlq", 14) == "edge-anal…-dlq"
    assert fmt.truncate_middle("edge-analytics-dlq.fifo", 12) == "ed…-dlq.fifo"
    assert fmt.truncate_middle("edge-analytics-dlq.fifo", 11) == "edge-….fifo"  # no room: halves
    assert fmt.truncate_middle("orders-processing", 10) == "order…sing"  # tail too long: halves
    assert fmt.truncate_middle("abc", 1) == "…"


def test_sparkline_scales_min_to_max_and_keeps_gaps() -> None:
    assert fmt.sparkline([0, 7, 14], 3) == "▁▅█"
    assert fmt.sparkline([5, 5, 5], 3) == "▁▁▁"  # flat is flat, whatever the depth
    assert fmt.sparkline([1, None, 8], 3) == "▁ █"  # an outage is a gap, never "empty"
    assert fmt.sparkline([1, 2], 5) == "   ▁█"  # short history sits on the right (newest)
    assert fmt.sparkline(list(range(100)), 4) == "▁▃▆█"  # only the newest points
    assert fmt.sparkline([], 3) == "   "
    assert fmt.sparkline([1, 2], 0) == ""


def test_describe_thresholds() -> None:
    text = describe_thresholds(Thresholds(depth=1000, age_s=300, dlq_depth=1))
    assert text == "depth warn ≥750 crit ≥1,000 · age warn ≥3m45s crit ≥5m00s · DLQ crit ≥1"
    assert describe_thresholds(Thresholds()) == "depth off · age off · DLQ off"
    assert describe_thresholds(Thresholds(dlq_depth=0)).endswith("DLQ crit >0")
