"""Configuration: precedence, validation messages, exit codes (through the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgewatch.cli import main
from edgewatch.config import ConfigError, Settings, is_unconfigured, load_settings

pytestmark = pytest.mark.usefixtures("no_user_config")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edgewatch.toml"
    path.write_text(text)
    return path


def test_defaults_without_any_config_mean_embedded_stack():
    settings, source = load_settings()
    assert source.path is None and source.reason == "none"
    assert settings == Settings()
    assert is_unconfigured(settings, source)


def test_precedence_flags_over_env_over_file(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        '[aws]\nregion = "eu-west-1"\nendpoint_url = "http://127.0.0.1:4566"\npoll_interval = 5\n',
    )
    # (poll_interval above is inside [aws]: TOML scoping; set the real key at top level below)
    path.write_text(
        'poll_interval = 5\ntheme = "file-theme"\n[aws]\nregion = "eu-west-1"\n'
        'endpoint_url = "http://127.0.0.1:4566"\n'
    )
    monkeypatch.setenv("EDGEWATCH_AWS__REGION", "us-west-2")
    monkeypatch.setenv("EDGEWATCH_POLL_INTERVAL", "2")
    settings, source = load_settings(str(path), {"aws": {"region": "ap-south-1"}})
    assert source.reason == "--config"
    assert settings.aws.region == "ap-south-1"  # flag beats env and file
    assert settings.poll_interval == 2.0  # env beats file
    assert settings.theme == "file-theme"  # file beats default
    assert settings.aws.endpoint_url == "http://127.0.0.1:4566"  # nested merge keeps file keys
    assert not is_unconfigured(settings, source)


def test_config_path_from_env_and_xdg(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg" / "edgewatch"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text('theme = "xdg"\n')
    settings, source = load_settings()
    assert source.reason == "default path" and settings.theme == "xdg"
    other = write(tmp_path, 'theme = "env"\n')
    monkeypatch.setenv("EDGEWATCH_CONFIG", str(other))
    settings, source = load_settings()
    assert source.reason == "EDGEWATCH_CONFIG" and settings.theme == "env"


def test_queues_as_names_or_tables_with_thresholds(tmp_path):
    path = write(
        tmp_path,
        'queues = ["a", "https://sqs.us-east-1.amazonaws.com/1/b"]\n[thresholds]\ndepth = 50\n',
    )
    settings, _ = load_settings(str(path))
    assert [q.name for q in settings.queues] == ["a", "https://sqs.us-east-1.amazonaws.com/1/b"]
    assert settings.thresholds_for("a").depth == 50
    path.write_text('[[queues]]\nname = "c"\nthresholds = { depth = 5, age_s = 60 }\n')
    settings, _ = load_settings(str(path))
    assert settings.thresholds_for("c").depth == 5 and settings.thresholds_for("c").age_s == 60


def test_queues_from_env_comma_list(monkeypatch):
    monkeypatch.setenv("EDGEWATCH_QUEUES", "x, y")
    settings, _ = load_settings()
    assert [q.name for q in settings.queues] == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("poll_interval = 0", ["poll_interval = 0", "greater than or equal to 0.2"]),
        ('poll_interval = "fast"', ["poll_interval = 'fast'", "valid number"]),
        ('[aws]\nendpoint_url = "localhost:4566"', ["aws.endpoint_url", "http://"]),
        ("colour = 1", ["colour", "unknown key"]),
        ("[thresholds]\ndepth = -1", ["thresholds.depth = -1", "greater than or equal to 0"]),
        ('queues = ["a", "a"]', ["listed twice"]),
        ("poll_interval = ", ["invalid TOML"]),
    ],
)
def test_bad_file_gives_one_clear_message(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(str(path))
    message = str(info.value)
    assert str(path) in message or "listed twice" in message
    for part in expected:
        assert part in message


def test_bad_env_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("EDGEWATCH_POLL_INTERVAL", "soon")
    with pytest.raises(ConfigError, match="environment EDGEWATCH_POLL_INTERVAL"):
        load_settings()


def test_cli_bad_config_exits_2_without_traceback(tmp_path, capsys):
    path = write(tmp_path, "poll_interval = -3\n")
    assert main(["--config", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgewatch: invalid configuration")
    assert str(path) in err and "poll_interval" in err and "-3" in err
    assert "Traceback" not in err


def test_cli_bad_config_is_one_line_per_problem(tmp_path, capsys):
    one = write(tmp_path, "poll_interval = -3\n")
    assert main(["--config", str(one), "config", "check"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "poll_interval = -3" in lines[0]
    two = tmp_path / "two.toml"
    two.write_text("poll_interval = -3\n[dashboard]\nx = 1\n", encoding="utf-8")
    assert main(["--config", str(two), "config", "check"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("edgewatch: invalid configuration: ") for line in lines)


def test_cli_missing_config_file(tmp_path, capsys):
    assert main(["status", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_cli_config_path_and_check(tmp_path, capsys):
    path = write(tmp_path, 'queues = ["a"]\n')
    assert main(["config", "path", "--config", str(path)]) == 0
    assert str(path) in capsys.readouterr().out
    assert main(["config", "check", "--config", str(path), "--region", "eu-west-1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {path}")
    effective = json.loads(out.split("\n", 1)[1])
    assert effective["aws"]["region"] == "eu-west-1" and effective["queues"][0]["name"] == "a"


def test_cli_config_path_and_check_json(tmp_path, capsys):
    path = write(tmp_path, 'queues = ["a"]\n')
    assert main(["config", "path", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "path": str(path),
        "present": True,
        "reason": "--config",
    }
    assert main(["config", "check", "--config", str(path), "--region", "eu-west-1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["path"] == str(path) and doc["problems"] == []
    assert doc["settings"]["aws"]["region"] == "eu-west-1"


def test_example_config_is_valid_and_documents_every_key():
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings, _ = load_settings(str(example))
    text = example.read_text()
    for key in Settings.model_fields:
        assert key in text, f"config.example.toml does not document {key!r}"
    for key in ("profile", "region", "endpoint_url", "depth", "age_s", "dlq_depth"):
        assert key in text
    from edgewatch.config import AlertSettings, FleetSettings, FleetSource, ForecastSettings

    for section in (AlertSettings, ForecastSettings, FleetSettings, FleetSource):
        for key in section.model_fields:
            assert key in text, f"config.example.toml does not document {key!r}"
    assert settings.queues  # the example shows queues


def test_example_config_documents_every_logs_fields_key_and_queue_key():
    from edgewatch.config import LogFieldsSettings, QueueConfig
    from edgewatch.logs.formats import FIELD_KEYS

    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    assert "[logs.fields]" in text
    assert set(LogFieldsSettings.model_fields) == set(FIELD_KEYS)
    for key in LogFieldsSettings.model_fields:
        assert f"# {key} = " in text, f"config.example.toml does not document logs.fields.{key}"
    for key in QueueConfig.model_fields:
        assert key in text, f"config.example.toml does not document queues.{key}"


def test_logs_fields_bad_path_is_one_clear_line(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('[logs.fields]\nrequest_id = "a..b"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(str(bad))
    message = str(info.value)
    assert "logs.fields.request_id" in message and "not a key path" in message
    assert "\n" not in message  # one problem, one line
