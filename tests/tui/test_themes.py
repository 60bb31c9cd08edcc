"""Shipped themes load from TOML into Textual Theme objects; bad files say what is wrong."""

from __future__ import annotations

import pytest
from textual.theme import Theme

from edgewatch.tui.common.themes import (
    DEFAULT_THEME,
    ThemeFileError,
    bundled_themes,
    resolve_theme,
    theme_from_toml,
)


def test_shipped_themes_load() -> None:
    themes = bundled_themes()
    assert {"edgewatch-dark", "edgewatch-light"} <= set(themes)
    dark, light = themes["edgewatch-dark"], themes["edgewatch-light"]
    assert isinstance(dark, Theme) and dark.dark and not light.dark
    for theme in (dark, light):
        assert theme.warning and theme.error and theme.warning != theme.error
        theme.to_color_system().generate()  # every colour parses


def test_theme_fields_map_onto_textual_theme() -> None:
    theme = theme_from_toml(
        'primary = "#112233"\nwarning = "#ffcc00"\ndark = false\n[variables]\nx = "#000000"\n',
        source="t.toml",
        default_name="from-file-name",
    )
    assert theme.name == "from-file-name"
    assert (theme.primary, theme.warning, theme.dark) == ("#112233", "#ffcc00", False)
    assert theme.variables == {"x": "#000000"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('primary = "#fff"\nwarnign = "#ff0"\n', "unknown theme keys: warnign"),
        ('warning = "#ff0"\n', "'primary' is required"),
        ("primary = \n", "invalid TOML"),
        ('primary = "#fff"\nvariables = { a = 1 }\n', "[variables]"),
    ],
)
def test_bad_theme_files_are_explained(text: str, message: str) -> None:
    with pytest.raises(ThemeFileError, match=message.replace("[", r"\[")):
        theme_from_toml(text, source="bad.toml", default_name="bad")


def test_resolve_theme_falls_back_to_the_default() -> None:
    assert resolve_theme("edgewatch-light", {"edgewatch-light"}) == ("edgewatch-light", None)
    name, warning = resolve_theme("solarized-neon", {"edgewatch-dark"})
    assert name == DEFAULT_THEME
    assert warning is not None and "solarized-neon" in warning and "edgewatch-light" in warning
