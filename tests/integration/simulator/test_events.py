"""Seeded event content: deterministic, realistic, with the promised share of poison."""

from __future__ import annotations

import json
import uuid

from edgewatch.simulator.events import EventFactory

NOW_MS = 1_767_225_600_000


def bodies(factory: EventFactory, count: int, **kwargs: bool) -> list[str]:
    return [factory.next(NOW_MS, **kwargs).body for _ in range(count)]


def test_same_seed_same_events_different_seed_different() -> None:
    assert bodies(EventFactory(7, "standard"), 300) == bodies(EventFactory(7, "standard"), 300)
    assert bodies(EventFactory(7, "standard"), 50) != bodies(EventFactory(8, "standard"), 50)
    assert bodies(EventFactory(7, "standard"), 50) != bodies(EventFactory(7, "fifo"), 50)


def test_event_shape() -> None:
    factory = EventFactory(3, "standard", poison_rate=0.0)
    for _ in range(200):
        event = factory.next(NOW_MS)
        data = json.loads(event.body)
        assert data["request_id"] == event.request_id
        assert uuid.UUID(data["request_id"]).version == 4
        assert data["session_id"] == event.session_id
        assert data["type"] in {"query", "response"}
        assert data["method"] in {"GET", "POST"}
        assert data["path"].startswith("/")
        assert isinstance(data["status"], int) and 100 <= data["status"] < 600
        assert len(data["country"]) == 2
        assert data["latency_ms"] > 0
        assert data["emitted_at"] == NOW_MS  # epoch milliseconds
        assert "poison" not in data


def test_poison_share_and_kinds() -> None:
    factory = EventFactory(11, "standard", poison_rate=0.02)
    events = [factory.next(NOW_MS) for _ in range(5000)]
    poison = [e for e in events if e.poison]
    assert 60 <= len(poison) <= 140  # 2 % of 5000, for this seed
    malformed = [e for e in poison if e.malformed]
    assert malformed and len(malformed) < len(poison)
    for event in poison:
        if event.malformed:
            try:
                json.loads(event.body)
            except ValueError:
                continue
            raise AssertionError(f"malformed body parses: {event.body!r}")
        assert json.loads(event.body)["poison"] is True


def test_forced_first_poison() -> None:
    factory = EventFactory(5, "fifo", poison_rate=0.02, forced_poison=(1,))
    assert [factory.next(NOW_MS).poison for _ in range(2)] == [False, True]
    assert not EventFactory(5, "fifo", poison_rate=0.0, forced_poison=(1,)).forced_poison


def test_suppressed_poison_changes_only_that_event() -> None:
    """A full DLQ suppresses poison; the rest of the sequence must not shift."""
    reference = EventFactory(9, "standard", poison_rate=0.3)
    capped = EventFactory(9, "standard", poison_rate=0.3)
    normal = [reference.next(NOW_MS) for _ in range(40)]
    mixed = [capped.next(NOW_MS, allow_poison=i % 2 == 0) for i in range(40)]
    assert any(e.poison_suppressed for e in mixed)
    for a, b in zip(normal, mixed, strict=True):
        assert a.request_id == b.request_id
        if b.poison_suppressed:
            assert a.poison and not b.poison and "poison" not in json.loads(b.body)
        else:
            assert a.body == b.body
