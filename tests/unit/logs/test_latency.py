"""The latency engine: percentiles against a reference, windowing, bounded memory, lag sources."""

from __future__ import annotations

import json
import math
import random
import statistics

import pytest

from edgewatch.logs.latency import LatencyStats, percentile, samples_of
from edgewatch.logs.models import make_line

T0 = 1_800_000_000  # an epoch second; every time here is explicit (no clock)


def reference(values: list[float], q: float) -> float:
    """Plain sorted-index percentile: rank h = (n-1)q, linear between the two closest ranks."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    below = int(h)
    above = below + 1 if below + 1 < len(ordered) else below
    return ordered[below] + (h - below) * (ordered[above] - ordered[below])


def line(at_s: float, **fields) -> object:
    return make_line(
        event_id=f"{at_s}:{fields}",
        timestamp=int(at_s * 1000),
        log_group="/g",
        stream="s",
        message=json.dumps(fields),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_match_the_references_on_seeded_data(seed):
    rng = random.Random(seed)
    stats = LatencyStats(window_s=30, history=100)
    samples: list[tuple[float, float]] = []
    for _ in range(5000):
        at = T0 + rng.uniform(0, 90)
        value = round(rng.lognormvariate(math.log(12), 0.8), 3)
        samples.append((at, value))
    by_second: dict[int, list[tuple[float, float]]] = {}
    for at, value in samples:
        by_second.setdefault(math.floor(at), []).append((at, value))
    for second in range(T0, T0 + 91):  # in time order, closing each second as it ends
        for at, value in by_second.get(second, []):
            stats.add(line(at, latency_ms=value))
        stats.tick(second + 0.999)
    points = {p.t: p for p in stats.series().latency}
    assert set(points) == set(range(T0, T0 + 91))
    for second in (T0 + 10, T0 + 29, T0 + 30, T0 + 55, T0 + 89, T0 + 90):
        window = [v for at, v in samples if second - 30 < math.floor(at) <= second]
        point = points[second]
        assert point.count == len(window)
        for q, got in ((0.50, point.p50), (0.95, point.p95), (0.99, point.p99)):
            assert got == pytest.approx(reference(window, q), rel=1e-12)
        cuts = statistics.quantiles(window, n=100, method="inclusive")
        assert (point.p50, point.p95, point.p99) == pytest.approx((cuts[49], cuts[94], cuts[98]))


def test_late_samples_into_closed_seconds_keep_the_points_exact():
    """Seconds are sorted once when first used; late samples land in them afterwards."""
    rng = random.Random(9)
    stats = LatencyStats(window_s=10, history=50)
    kept: list[tuple[int, float]] = []
    for second in range(T0, T0 + 20):
        for _ in range(50):
            value = rng.uniform(0, 500)
            stats.add(line(second + 0.5, latency_ms=value))
            kept.append((second, value))
        # Late samples for seconds already closed (and sorted) but still in the window,
        # including values below and above everything there.
        if second >= T0 + 3:
            for late in (second - 2, second - 1):
                for value in (rng.uniform(0, 500), -1.0 - second, 1000.0 + second):
                    stats.add(line(late + 0.25, latency_ms=value))
                    kept.append((late, value))
        stats.tick(second + 0.999)
        window = [v for s, v in kept if second - 10 < s <= second]
        point = stats.series().latency[-1]
        assert point.count == len(window)
        for q, got in ((0.50, point.p50), (0.95, point.p95), (0.99, point.p99)):
            assert got == pytest.approx(reference(window, q), rel=1e-12)


def test_percentile_edge_cases():
    assert percentile([5.0], 0.99) == 5.0
    assert percentile([1.0, 2.0], 0.5) == 1.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.99) == pytest.approx(3.97)
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_window_eviction_keeps_memory_bounded_and_history_is_capped():
    stats = LatencyStats(window_s=10, history=50)
    for second in range(1000):
        for i in range(20):
            stats.add(line(T0 + second + i / 20, latency_ms=float(i)))
        stats.tick(T0 + second + 0.999)
        assert stats.sample_count <= 20 * 11  # the window's seconds (+1 being filled)
    series = stats.series()
    assert len(series.latency) == 50 and len(series.queue_lag) == 50
    assert series.latency[-1].t == T0 + 999 and series.latency[-1].count == 200
    assert series.latency[-1].p50 == pytest.approx(9.5)


def test_sample_cap_drops_the_oldest_seconds_first():
    stats = LatencyStats(window_s=60, history=10, max_samples=100)
    for second in range(10):
        for _ in range(30):
            stats.add(line(T0 + second, latency_ms=float(second)))
    assert stats.sample_count <= 100 * 2 and stats.dropped == 300 - 90
    stats.tick(T0 + 9)
    assert stats.series().latency[-1].p50 == pytest.approx(8.0)  # seconds 7, 8, 9 remain


def test_skipped_seconds_get_points_and_empty_windows_are_gaps():
    stats = LatencyStats(window_s=2, history=100)
    stats.add(line(T0, latency_ms=10.0))
    stats.tick(T0)
    stats.tick(T0 + 5.5)  # a busy UI: ticks for T0+1..T0+5 arrive at once
    points = stats.series().latency
    assert [p.t for p in points] == list(range(T0, T0 + 6))
    assert [p.count for p in points] == [1, 1, 0, 0, 0, 0]
    assert points[-1].p99 is None


def test_late_samples_are_counted_not_kept():
    stats = LatencyStats(window_s=5, history=10)
    stats.tick(T0 + 100)
    stats.add(line(T0, latency_ms=1.0))  # long before the window
    stats.add(line(T0 + 99, latency_ms=2.0))  # inside it
    assert stats.late == 1 and stats.sample_count == 1


def test_queue_lag_from_queue_lag_ms_or_processed_minus_emitted():
    at = T0 + 1
    assert samples_of(line(at, latency_ms=3, queue_lag_ms=40)) == (3.0, 40.0)
    emitted_ms = (T0 + 0.75) * 1000
    assert samples_of(line(at, emitted_at=emitted_ms)) == (None, pytest.approx(250.0))
    processed = {"emitted_at": "2027-01-15T08:00:00Z", "processed_at": "2027-01-15T08:00:01.5Z"}
    assert samples_of(line(at, **processed)) == (None, pytest.approx(1500.0))
    assert samples_of(line(at, emitted_at=T0 + 0.5, queue_lag_ms=None)) == (
        None,
        pytest.approx(500.0),
    )
    assert samples_of(line(at, latency_ms="12", queue_lag_ms=True)) == (None, None)
    text = make_line(event_id="x", timestamp=0, log_group="g", stream="s", message="latency_ms=5")
    assert samples_of(text) == (None, None)


def test_both_series_from_real_consumer_lines():
    stats = LatencyStats(window_s=60)
    lines = [
        line(T0 + i / 10, latency_ms=float(i), queue_lag_ms=float(100 + i), request_id=f"r{i}")
        for i in range(10)
    ]
    assert stats.add_many(lines) == 10
    stats.tick(T0 + 1)
    series = stats.series()
    assert series.last("latency").p50 == pytest.approx(4.5)
    lags = [100.0 + i for i in range(10)]
    assert series.last("queue_lag").p99 == pytest.approx(reference(lags, 0.99))
