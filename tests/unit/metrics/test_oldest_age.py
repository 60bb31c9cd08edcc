"""The oldest message's age: CloudWatch's datapoint, unless a later read found the queue empty."""

from __future__ import annotations

from datetime import UTC, datetime

from edgewatch.metrics.models import oldest_age

POINT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the datapoint's period starts here
T = POINT.timestamp()


def test_no_datapoint_is_none_never_zero():
    assert oldest_age(None, (0, 0, 0), T + 300) == (None, None)


def test_a_read_after_the_period_that_finds_nothing_means_no_oldest_message():
    age, at = oldest_age((240.0, POINT), (0, 0, 0), T + 90)
    assert age == 0.0 and at == datetime.fromtimestamp(T + 90, UTC)


def test_the_datapoint_stands_otherwise():
    point = (240.0, POINT)
    assert oldest_age(point, (0, 1, 0), T + 90) == point  # one message in flight: it is old
    assert oldest_age(point, (0, 0, 2), T + 90) == point  # delayed messages are messages too
    assert oldest_age(point, (0, 0, 0), T + 30) == point  # read inside the datapoint's minute
    assert oldest_age(point, (None, None, None), None) == point  # no read at all
    assert oldest_age(point, (0, None, None), T + 90) == point  # CloudWatch depth only
