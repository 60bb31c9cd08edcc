"""Themes shipped as TOML files in ``edgewatch/themes/`` and the fallback rule for names.

Each file's keys map onto :class:`textual.theme.Theme` fields (``[variables]`` is a table of
Textual CSS variables). Like posting, a theme that is neither shipped nor built into Textual does
not stop the console: it falls back to the default and says so.
"""

from __future__ import annotations

import dataclasses
import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from textual.theme import Theme

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


@cache
def bundled_themes() -> dict[str, Theme]:
    """The themes shipped in the package, by name (read once per process)."""
    directory = files("edgewatch") / "themes"
    themes = [_load(e) for e in directory.iterdir() if e.name.endswith(THEME_SUFFIX)]
    return {t.name: t for t in sorted(themes, key=lambda t: t.name)}


def resolve_theme(requested: str, available: set[str] | dict[str, Theme]) -> tuple[str, str | None]:
    """The theme to use for ``requested`` and, when it had to fall back, a message saying why."""
    if requested in available:
        return requested, None
    shipped = ", ".join(bundled_themes())
    return DEFAULT_THEME, (
        f"Unknown theme {requested!r}; using {DEFAULT_THEME}. "
        f"Shipped themes: {shipped} (any built-in Textual theme works too)."
    )
