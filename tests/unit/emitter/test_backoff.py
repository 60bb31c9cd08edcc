"""Backoff bounds and the breaker's state machine, on a fake clock."""

from __future__ import annotations

import asyncio
import random

from edgewatch_emitter.backoff import Backoff, BackoffPolicy, CircuitBreaker


def test_full_jitter_stays_within_the_capped_exponential() -> None:
    rng = random.Random(1)
    policy = BackoffPolicy(0.1, 2.0, "full")
    for attempt in range(1, 40):
        ceiling = min(2.0, 0.1 * 2 ** (attempt - 1))
        delays = [policy.delay(attempt, rng.random) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.5  # jitter spans the range, not a fixed delay
        assert min(delays) < ceiling * 0.5


def test_equal_jitter_never_waits_less_than_half_the_ceiling() -> None:
    rng = random.Random(2)
    policy = BackoffPolicy(0.2, 5.0, "equal")
    for attempt in range(1, 12):
        ceiling = policy.ceiling(attempt)
        delays = [policy.delay(attempt, rng.random) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)


def test_no_jitter_doubles_to_the_cap_and_a_success_resets() -> None:
    backoff = Backoff(BackoffPolicy(1.0, 8.0, "none"))
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_breaker_opens_probes_once_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown_s=30, clock=clock)
    assert await breaker.acquire() is False
    breaker.record_failure()
    assert not breaker.is_open
    breaker.record_failure()
    assert breaker.is_open and breaker.trips == 1

    waiter = asyncio.ensure_future(breaker.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()  # cooling down
    clock.now += 30
    breaker._notify()  # wake waiters to re-read the (fake) clock
    assert await waiter is True  # this request is the probe
    second = asyncio.ensure_future(breaker.acquire())
    await asyncio.sleep(0)
    assert not second.done()  # only one probe at a time

    breaker.record_failure(probe=True)  # the probe failed: another cool-down
    assert breaker.is_open and breaker.trips == 2
    clock.now += 30
    breaker._notify()
    assert await second is True
    breaker.record_success(probe=True)
    assert not breaker.is_open
    assert await breaker.acquire() is False


async def test_cancelled_probe_lets_another_request_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=1, clock=clock)
    breaker.record_failure()
    clock.now += 1
    assert await breaker.acquire() is True
    breaker.release(probe=True)
    assert await breaker.acquire() is True
