"""Shipped themes load from TOML into Textual Theme objects; bad files say what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.theme import Theme

from edgewatch.tui.common.themes import (
    DEFAULT_THEME,
    ThemeFileError,
    bundled_themes,
    resolve_theme,
    shipped_themes_dir,
    theme_from_toml,
    user_themes,
    user_themes_dir,
)
from tests.support.notes import notes
from tests.support.tui import fixed_app

ROOT = Path(__file__).resolve().parents[2]


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


def test_shipped_themes_come_from_the_top_level_folder_in_a_checkout() -> None:
    folder = shipped_themes_dir()
    assert {e.name for e in folder.iterdir()} >= {"edgewatch-dark.toml", "edgewatch-light.toml"}


def test_the_wheel_carries_the_themes_inside_the_package() -> None:
    """What hatch packs: the top-level folder mapped into the package (pyproject's contract)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapping == {"themes": "edgewatch/themes"} and (ROOT / "themes").is_dir()


def test_user_themes_load_from_xdg_and_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "edgewatch" / "themes"
    folder.mkdir(parents=True)
    (folder / "night-shift.toml").write_text('primary = "#336699"\ndark = true\n')
    (folder / "broken.toml").write_text('primary = "#336699"\nwarnign = "#ff0"\n')
    (folder / "not-a-colour.toml").write_text('primary = "definitely not"\n')
    (folder / "notes.txt").write_text("ignored")
    assert user_themes_dir() == folder
    themes, problems = user_themes()
    assert list(themes) == ["night-shift"] and themes["night-shift"].primary == "#336699"
    assert len(problems) == 2
    assert any("broken.toml: unknown theme keys: warnign" in p for p in problems)
    assert any("not-a-colour.toml" in p for p in problems)


def test_missing_user_theme_folder_is_no_problem(tmp_path: Path) -> None:
    assert user_themes(tmp_path / "absent") == ({}, [])


async def test_the_console_offers_a_user_theme_and_says_which_files_it_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "edgewatch" / "themes"
    folder.mkdir(parents=True)
    (folder / "night-shift.toml").write_text('primary = "#336699"\ndark = true\n')
    (folder / "broken.toml").write_text("primary = \n")
    app = fixed_app(theme="night-shift")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.theme == "night-shift"
        assert any("broken.toml" in n for n in notes(app))
