"""Configuration: pydantic-settings models fed by a TOML file, the environment and CLI flags.

Precedence, highest first: command-line flags > environment (``EDGEWATCH_*``, nested with
``__``) > the TOML file > defaults. Credentials never live here: the standard AWS chain
(environment, shared files, SSO, instance roles) supplies them, so a config file can be shared.
"""

from __future__ import annotations

import contextvars
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from edgewatch.identifiers import queue_name_from_url
from edgewatch.logs.formats.mapping import FieldMap, split_path

ENV_PREFIX = "EDGEWATCH_"
SECRET_KEYS = {"webhook_url"}  # values never echoed in a validation message
CONFIG_ENV = "EDGEWATCH_CONFIG"

# The parsed TOML file for the settings being built; a ContextVar keeps concurrent loads apart.
_file_data: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "edgewatch_config_file_data", default=None
)


class ConfigError(Exception):
    """A configuration problem, already phrased for the operator (file, key, value, expectation)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsSettings(_Strict):
    """Where to talk to AWS. Region and profile fall back to the standard AWS chain."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @field_validator("endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
            raise ValueError("expected an http:// or https:// URL, e.g. http://127.0.0.1:4566")
        return value.rstrip("/")

    @field_validator("profile", "region")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class Thresholds(_Strict):
    """Levels at which a queue turns red; 75 % of a level turns it yellow. ``None`` disables."""

    depth: int | None = Field(default=None, ge=0, description="visible messages")
    age_s: float | None = Field(default=None, ge=0, description="age of the oldest message, s")
    dlq_depth: int | None = Field(
        default=None, ge=0, description="messages in the DLQ (visible, in flight, delayed)"
    )


class QueueConfig(_Strict):
    """A queue to watch: a name (resolved with GetQueueUrl) or a full queue URL."""

    name: str = Field(min_length=1)
    thresholds: Thresholds | None = None
    # The consumer's log groups, overriding those found from its event source mappings.
    log_groups: list[str] | None = None

    @property
    def is_url(self) -> bool:
        return self.name.startswith(("http://", "https://"))


class ReplaySettings(_Strict):
    """Defaults for ``edgewatch replay`` and the DLQ screen (flags override them)."""

    rate: float | None = Field(default=None, gt=0, description="messages/s; none: unlimited")
    max_replays: int = Field(default=3, ge=1, description="hold back messages replayed this often")
    visibility_timeout_s: int = Field(default=60, ge=1, le=43_200)
    concurrency: int = Field(default=4, ge=1, le=32, description="pipelines, standard queues")
    browse_window: int = Field(
        default=500, ge=10, le=10_000, description="messages the DLQ screen holds at once"
    )
    bounce_watch_s: float = Field(
        default=120.0, ge=0, le=3600, description="DLQ screen: watch for replayed ones coming back"
    )
    bounce_interval_s: float = Field(default=5.0, ge=0.2, le=300, description="between DLQ reads")


WARN_FRACTION = 0.75
Level = Literal["ok", "warn", "crit"]


def threshold_level(value: float | None, limit: float | None) -> Level:
    """Classify ``value`` against ``limit``: crit at or above it, warn from 75 % of it."""
    if value is None or limit is None:
        return "ok"
    if value >= limit and (limit > 0 or value > 0):
        return "crit"
    if limit > 0 and value >= limit * WARN_FRACTION:
        return "warn"
    return "ok"


class LogFieldsSettings(_Strict):
    """``[logs.fields]``: key paths (dots for nesting) for a worker whose JSON is none of the
    formats edgewatch knows (Lambda, Powertools, EMF). Each overrides the format's own rule."""

    request_id: str | None = None
    message_id: str | None = None
    level: str | None = None
    latency_ms: str | None = None
    queue_lag_ms: str | None = None
    emitted_at: str | None = None

    @field_validator("*")
    @classmethod
    def _key_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        split_path(value)
        return value

    def field_map(self) -> FieldMap:
        """The parser's :class:`~edgewatch.logs.formats.FieldMap` for these paths."""
        return FieldMap.from_strings(self.model_dump())


class LogsSettings(_Strict):
    """Worker logs: CloudWatch Logs groups and/or a local JSON-lines file to tail."""

    groups: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fields: LogFieldsSettings = LogFieldsSettings()
    file: str | None = None
    buffer_lines: int = Field(default=10_000, ge=100, le=1_000_000)
    overlap_s: float = Field(
        default=10.0, ge=0, le=3600, description="re-read window for late CloudWatch events"
    )
    poll_interval: float = Field(default=2.0, ge=0.2, le=3600)

    @field_validator("groups", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # EDGEWATCH_LOGS__GROUPS="a,b" or a JSON list
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


class LatencySettings(_Strict):
    """The latency chart: sliding-window percentiles and the objective drawn on it."""

    window_s: float = Field(default=60.0, ge=1, le=3600)
    slo_ms: float | None = Field(default=250.0, gt=0)


class ForecastSettings(_Strict):
    """Drain and loss forecasts: smoothing, windows, and whether to read CloudWatch counts."""

    smoothing_s: float = Field(
        default=300.0, ge=10, le=86_400, description="EWMA time constant of the net rate"
    )
    dlq_window_s: float = Field(default=300.0, ge=10, le=86_400, description="DLQ inflow window")
    periods: int = Field(default=3, ge=1, le=60, description="periods for retries and stalls")
    stall_s: float = Field(default=300.0, ge=10, le=86_400, description="oldest only ages: stall")
    counts: bool = Field(
        default=True, description="read NumberOfMessagesSent/Received/Deleted (3 metrics/queue)"
    )


class AlertSettings(_Strict):
    """Alert rules beyond the thresholds, and where alerts go. ``None`` disables a rule."""

    loss_eta_min: float | None = Field(
        default=60.0, gt=0, description="alert when messages start to expire within this"
    )
    drain_eta_min: float | None = Field(
        default=30.0, gt=0, description="alert when the backlog needs longer than this to drain"
    )
    min_backlog: int = Field(default=100, ge=0, description="a growing queue alerts from here")
    dlq_growing: bool = True
    stalled: bool = True
    retries_to_dlq: bool = True
    hysteresis: float = Field(default=0.1, ge=0, lt=1, description="clear 10 % past the line")
    cooldown_s: float = Field(default=300.0, ge=0, le=86_400)
    notify_resolved: bool = True
    bell: bool = True
    # Desktop notification through the terminal: auto-detected OSC 9 / OSC 777, forced, or off.
    desktop: Literal["auto", "osc9", "osc777", "off"] = "auto"
    # A Slack-style webhook URL is a credential: kept as a secret, never printed or logged.
    webhook_url: SecretStr | None = None
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    history: int = Field(default=500, ge=10, le=100_000)
    # `watch --alerts` keeps episodes and cooldowns between runs (cron): None = the XDG state dir.
    state: bool = True
    state_file: Path | None = None

    @field_validator("desktop", mode="before")
    @classmethod
    def _desktop(cls, value: Any) -> Any:
        if isinstance(value, bool):  # the older form: true / false
            return "auto" if value else "off"
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        url = value.get_secret_value()
        if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
            raise ValueError("expected an http:// or https:// URL")
        return value


class FleetSource(_Strict):
    """One place to discover queues in: a profile (account) and a region, or an endpoint."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    label: str | None = None  # shown instead of the account id

    @field_validator("endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return AwsSettings._http_url(value)


class FleetSettings(_Strict):
    """Many queues across regions and accounts, polled within a budget (``sources`` empty: off)."""

    sources: list[FleetSource] = Field(default_factory=list)
    prefix: str = Field(default="", max_length=80, description="ListQueues QueueNamePrefix")
    tags: bool = Field(default=False, description="ListQueueTags once per queue (1 call each)")
    hot_max: int = Field(default=50, ge=0, le=1000, description="queues read by attributes")
    # CloudWatch bills per metric requested, not per datapoint: every read takes each 1-minute
    # datapoint since the previous one, so 300 s keeps minute history at a fifth of the cost.
    metrics_interval: float = Field(
        default=300.0, ge=10, le=3600, description="seconds between CloudWatch reads of all"
    )
    discover_interval_s: float = Field(default=300.0, ge=30, le=86_400)
    budget_calls_per_min: float = Field(default=120.0, ge=1, le=1_000_000)
    budget_usd_per_day: float | None = Field(default=None, gt=0)


class Settings(BaseSettings):
    """Everything edgewatch can be told. See ``config.example.toml`` for each key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    aws: AwsSettings = AwsSettings()
    queues: Annotated[list[QueueConfig], NoDecode] = Field(default_factory=list)
    thresholds: Thresholds = Thresholds(depth=1000, age_s=300, dlq_depth=1)
    poll_interval: float = Field(default=1.0, ge=0.2, le=3600)
    metrics_interval: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="how often to read CloudWatch (billed per metric); 1-minute data anyway",
    )
    history: int = Field(default=300, ge=10, le=100_000)
    theme: str = "edgewatch-dark"
    read_only: bool = False
    replay: ReplaySettings = ReplaySettings()
    logs: LogsSettings = LogsSettings()
    latency: LatencySettings = LatencySettings()
    forecast: ForecastSettings = ForecastSettings()
    alerts: AlertSettings = AlertSettings()
    fleet: FleetSettings = FleetSettings()

    @field_validator("queues", mode="before")
    @classmethod
    def _names_to_objects(cls, value: Any) -> Any:
        if isinstance(value, str):  # EDGEWATCH_QUEUES="a,b" or a JSON list
            if value.lstrip().startswith("["):
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    raise ValueError(f"not a JSON list: {exc}") from None
            else:
                value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _unique_queues(self) -> Settings:
        seen: set[str] = set()
        for q in self.queues:
            if q.name in seen:
                raise ValueError(f"queue {q.name!r} is listed twice")
            seen.add(q.name)
        return self

    def thresholds_for(self, queue_name: str) -> Thresholds:
        """Per-queue thresholds where configured (by name or URL), else the global ones."""
        for q in self.queues:
            if q.thresholds is not None and (
                q.name == queue_name or queue_name_from_url(q.name) == queue_name
            ):
                return q.thresholds
        return self.thresholds

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = InitSettingsSource(settings_cls, init_kwargs=_file_data.get() or {})
        return (init_settings, env_settings, file_source)


def default_config_path() -> Path:
    """The XDG location: ``$XDG_CONFIG_HOME/edgewatch/config.toml`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "edgewatch" / "config.toml"


@dataclass(frozen=True)
class ConfigSource:
    """Which file was used and why, for ``edgewatch config path`` and the status bar."""

    path: Path | None
    reason: str  # "--config", "EDGEWATCH_CONFIG", "default path", "none"


def resolve_config_path(flag: str | None) -> ConfigSource:
    """Find the config file: ``--config`` > ``$EDGEWATCH_CONFIG`` > the XDG path (if present)."""
    if flag:
        return ConfigSource(Path(flag).expanduser(), "--config")
    env = os.environ.get(CONFIG_ENV)
    if env:
        return ConfigSource(Path(env).expanduser(), CONFIG_ENV)
    path = default_config_path()
    if path.is_file():
        return ConfigSource(path, "default path")
    return ConfigSource(None, "none")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text, expected a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _lookup(data: Any, loc: tuple[int | str, ...]) -> tuple[bool, Any]:
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return False, None
    return True, data


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(p).upper() for p in loc)


def _describe(
    exc: ValidationError, path: Path | None, file_data: dict[str, Any], cli: dict[str, Any]
) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        in_cli, _ = _lookup(cli, loc)
        env = _env_name(loc)
        in_file, _ = _lookup(file_data, loc)
        if in_cli:
            where = "command line"
        elif env in os.environ:
            where = f"environment {env}"
        elif in_file and path is not None:
            where = str(path)
        else:
            where = str(path) if path is not None else "settings"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see config.example.toml for the keys edgewatch reads)"
            lines.append(f"{where}: {key}: {msg}")
            continue
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict) else "a table"
        if loc and loc[-1] in SECRET_KEYS:
            shown = "(hidden)"
        lines.append(f"{where}: {key} = {shown}: {msg}")
    # One problem is one line; several are one self-contained line each (grep-able, no header).
    return "\n".join(f"invalid configuration: {line}" for line in lines)


def load_settings(
    config_flag: str | None = None, cli_overrides: dict[str, Any] | None = None
) -> tuple[Settings, ConfigSource]:
    """Build the settings from every source; raise :class:`ConfigError` with a clear message."""
    source = resolve_config_path(config_flag)
    file_data = _read_toml(source.path) if source.path is not None else {}
    cli = {k: v for k, v in (cli_overrides or {}).items() if v is not None}
    if "aws" in cli:
        cli["aws"] = {k: v for k, v in cli["aws"].items() if v is not None}
        if not cli["aws"]:
            del cli["aws"]
    token = _file_data.set(file_data)
    try:
        settings = Settings(**cli)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source.path, file_data, cli)) from None
    except (ValueError, TypeError) as exc:  # e.g. unparsable EDGEWATCH_* JSON
        raise ConfigError(f"invalid configuration: {exc}") from None
    finally:
        _file_data.reset(token)
    return settings, source


def is_unconfigured(settings: Settings, source: ConfigSource) -> bool:
    """No file and nothing pointing at AWS: run on the embedded local stack."""
    aws_env = any(k.startswith(ENV_PREFIX + "AWS") for k in os.environ)
    return (
        source.path is None
        and not aws_env
        and settings.aws == AwsSettings()
        and not settings.queues
    )
