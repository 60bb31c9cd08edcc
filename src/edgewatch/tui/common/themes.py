"""Themes as TOML files: the shipped ones, the operator's own, and the fallback rule for names.

The shipped themes live in the repository's top-level ``themes/`` folder; the wheel carries them
as ``edgewatch/themes/`` (hatch ``force-include``), and a checkout (an editable install) reads
the folder itself. The operator's own themes are ``$XDG_CONFIG_HOME/edgewatch/themes/*.toml``
(``~/.config`` by default), next to the config file; one of them may replace a shipped theme of
the same name. Each file's keys map onto :class:`textual.theme.Theme` fields (``[variables]`` is
a table of Textual CSS variables). Like posting, a theme that is neither shipped nor built into
Textual does not stop the console, nor does a broken theme file of the operator's: it falls back
to the default and says so.
"""

from __future__ import annotations

import dataclasses
import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from textual.theme import Theme

from edgewatch.config import default_config_path

DEFAULT_THEME = "edgewatch-dark"
THEME_SUFFIX = ".toml"
_FIELDS = {f.name for f in dataclasses.fields(Theme)}


class ThemeFileError(ValueError):
    """A theme file that cannot become a Theme, phrased with the file and the key."""


def theme_from_toml(text: str, *, source: str, default_name: str) -> Theme:
    """Build a Theme from TOML text; unknown keys are errors (a typo must not pass silently)."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{source}: invalid TOML: {exc}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeFileError(f"{source}: unknown theme keys: {', '.join(unknown)}")
    data.setdefault("name", default_name)
    if "primary" not in data:
        raise ThemeFileError(f"{source}: 'primary' is required")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeFileError(f"{source}: [variables] must map names to colour strings")
    return Theme(**data)


def _load(entry: Traversable) -> Theme:
    stem = entry.name.removesuffix(THEME_SUFFIX)
    return theme_from_toml(entry.read_text("utf-8"), source=entry.name, default_name=stem)


def shipped_themes_dir() -> Traversable:
    """Where the shipped themes are: inside the installed package (a wheel), else the
    repository's ``themes/`` folder (a checkout: ``src/edgewatch/…`` is three levels below)."""
    packaged = files("edgewatch") / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[4] / "themes"


def user_themes_dir() -> Path:
    """``$XDG_CONFIG_HOME/edgewatch/themes`` (next to the config file)."""
    return default_config_path().parent / "themes"


def _themes_in(directory: Traversable) -> list[Theme]:
    entries = sorted(directory.iterdir(), key=lambda e: e.name) if directory.is_dir() else []
    return [_load(e) for e in entries if e.name.endswith(THEME_SUFFIX)]


@cache
def bundled_themes() -> dict[str, Theme]:
    """The themes shipped with edgewatch, by name (read once per process)."""
    return {t.name: t for t in sorted(_themes_in(shipped_themes_dir()), key=lambda t: t.name)}


def user_themes(directory: Path | None = None) -> tuple[dict[str, Theme], list[str]]:
    """The operator's themes by name, and one line per file that could not be read (skipped:
    a broken file of theirs must not keep the console from starting)."""
    directory = directory if directory is not None else user_themes_dir()
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    if not directory.is_dir():
        return themes, problems
    for path in sorted(directory.glob(f"*{THEME_SUFFIX}")):
        try:
            theme = _load(path)
            theme.to_color_system().generate()  # a colour that does not parse fails here
        except ThemeFileError as exc:
            problems.append(f"{path.parent}/{exc}")
            continue
        except Exception as exc:  # unreadable, or a value Textual rejects: skipped, said
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        themes[theme.name] = theme
    return themes, problems


def resolve_theme(requested: str, available: set[str] | dict[str, Theme]) -> tuple[str, str | None]:
    """The theme to use for ``requested`` and, when it had to fall back, a message saying why."""
    if requested in available:
        return requested, None
    shipped = ", ".join(bundled_themes())
    return DEFAULT_THEME, (
        f"Unknown theme {requested!r}; using {DEFAULT_THEME}. "
        f"Shipped themes: {shipped} (any built-in Textual theme works too)."
    )
