"""`--fleet N` through the real CLI: the embedded stack at fleet scale, headless."""

from __future__ import annotations

import json

from edgewatch.cli import main


def test_status_fleet_json_and_cost(moto_server, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["status", "--fleet", "30", "--json", "--seed", "5"]) == 0
    rows = json.loads(capsys.readouterr().out)
    fleet_rows = [r for r in rows if r["name"].startswith(("use1-", "euw1-"))]
    assert len([r for r in fleet_rows if not r["name"].endswith("-dlq")]) == 30
    assert {r["region"] for r in fleet_rows} == {"us-east-1", "eu-west-1"}
    assert all(r["account"] == "123456789012" and r["read_by"] for r in fleet_rows)
    assert all("forecast" in r for r in rows)

    assert main(["status", "--fleet", "30", "--cost", "--json", "--seed", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["mode"] == "fleet" and doc["queues"] == len(rows)
    assert doc["estimate"]["calls_per_min"] <= 120
    # CloudWatch every 300 s: 2 metrics per queue, sent/received/deleted for the hot ones
    # (all of them here: fewer than hot_max) -> (2 + 3) x queues / 5 metrics a minute.
    assert doc["estimate"]["metrics_per_min"] == round(5 * len(rows) / 5, 1)
    assert doc["naive_get_queue_attributes_per_queue"]["calls_per_min"] == 60 * len(rows)


def test_fleet_size_is_checked(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["status", "--fleet", "0"])
    assert exc.value.code == 2
    assert "between 1 and 5000" in capsys.readouterr().err
