"""Custom bodies and templates: validation that names the mistake, text kept as written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from edgewatch.send import (
    DEFAULT_GROUP,
    BodyError,
    CustomEvents,
    TemplateEvents,
    body_problem,
    parse_body,
    read_json_lines,
)

NOW_MS = 1_800_000_000_000


def test_invalid_json_names_line_and_column() -> None:
    assert body_problem('{"a": 1}') is None
    assert body_problem('{"a": 1,}') == (
        "invalid JSON: Expecting property name enclosed in double quotes (column 9)"
    )
    assert body_problem('{"a": 1,\n "b": }') == "invalid JSON: Expecting value (line 2, column 7)"
    assert body_problem("  ") == "empty body (SQS needs at least one character)"
    assert "U+FFFF" in str(body_problem('"\uffff"'))  # valid JSON, but not SQS text


def test_fields_are_inserted_and_the_rest_is_kept_byte_for_byte() -> None:
    text = '  { "price": 1.50, "tags": ["[b]x[/b]"],\t"n": 1e3 }'
    body = parse_body(text)
    sent = body.with_fields({"request_id": "r-1", "emitted_at": 5})
    added = '"request_id":"r-1","emitted_at":5,'
    assert sent == "  {" + added + text[3:]
    assert json.loads(sent) == {**json.loads(text), "request_id": "r-1", "emitted_at": 5}
    assert parse_body("{}").with_fields({"a": 1}) == '{"a":1}'
    assert parse_body("{ }").with_fields({"a": 1}) == '{"a":1 }'
    assert parse_body('{"a": 2}').with_fields({"a": 1}) == '{"a": 2}'  # theirs is kept
    assert parse_body("[1, 2]").with_fields({"a": 1}) == "[1, 2]"  # not an object: as written


def test_custom_events_fill_in_what_is_missing_and_cycle() -> None:
    own = parse_body('{"request_id": "mine", "session_id": "s-1", "emitted_at": 1}')
    bare = parse_body('{"type": "query"}')
    text = parse_body('"just a string"')
    events = CustomEvents([own, bare, text], seed=3)
    first, second, third, fourth = (events.next(NOW_MS) for _ in range(4))
    assert (first.body, first.request_id, first.group_id) == (own.text, "mine", "s-1")
    filled = json.loads(second.body)
    assert filled["type"] == "query" and filled["emitted_at"] == NOW_MS
    assert second.request_id == filled["request_id"]
    assert uuid.UUID(second.request_id).version == 4
    assert second.group_id == DEFAULT_GROUP
    assert (third.body, third.request_id) == ('"just a string"', None)
    assert fourth.body == own.text  # cycled
    repeated = CustomEvents([bare])  # --body with --count: a fresh id per copy
    assert len({repeated.next(NOW_MS).request_id for _ in range(5)}) == 5


def test_poison_needs_an_object_without_its_own_poison_field() -> None:
    event = CustomEvents([parse_body('{"a": 1}')], poison=True, group_id="g").next(NOW_MS)
    assert json.loads(event.body)["poison"] is True and event.group_id == "g"
    with pytest.raises(BodyError, match="JSON object"):
        CustomEvents([parse_body("[1]")], poison=True)
    with pytest.raises(BodyError, match="own"):
        CustomEvents([parse_body('{"poison": false}')], poison=True)


@pytest.mark.parametrize("template", ["query", "response"])
def test_templates_are_realistic_events_with_fresh_ids(template: str) -> None:
    events = TemplateEvents(template, seed=11)  # type: ignore[arg-type]
    made = [events.next(NOW_MS + i) for i in range(20)]
    assert len({e.request_id for e in made}) == 20
    for i, event in enumerate(made):
        data = json.loads(event.body)
        assert data["type"] == template and data["request_id"] == event.request_id
        assert data["emitted_at"] == NOW_MS + i
        assert event.group_id == data["session_id"]
        assert {"path", "method", "status", "country", "latency_ms"} <= data.keys()
        assert "poison" not in data
    same = TemplateEvents(template, seed=11)  # type: ignore[arg-type]
    assert same.next(NOW_MS).request_id == made[0].request_id  # seeded: repeatable
    poison = TemplateEvents(template, poison=True, group_id="g").next(NOW_MS)  # type: ignore[arg-type]
    assert json.loads(poison.body)["poison"] is True and poison.group_id == "g"
    with pytest.raises(ValueError, match="unknown template"):
        TemplateEvents("other")  # type: ignore[arg-type]


def test_json_lines_report_each_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n[1]\n   \nnope\n', "utf-8")
    lines = read_json_lines(path)
    assert [(b.line, b.value) for b in lines.bodies] == [(1, {"a": 1}), (4, [1])]
    assert [str(e) for e in lines.invalid] == [
        "line 3: invalid JSON: Expecting value (column 7)",
        "line 6: invalid JSON: Expecting value (column 1)",
    ]
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"a": "\xff"}\n')
    with pytest.raises(BodyError, match="not UTF-8"):
        read_json_lines(binary)
