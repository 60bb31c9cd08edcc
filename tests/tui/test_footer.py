"""The footer fits the terminal: on 80 columns every dashboard key still shows."""

from __future__ import annotations

from edgewatch.tui import EdgewatchApp
from edgewatch.tui.common.footer import AppFooter
from tests.support.tui import fixed_app, wait_for

DASHBOARD_KEYS = {"o", "/", "?", "p", "r", "s", "q", "l", "d", "a"}


def footer_keys(app: EdgewatchApp) -> list[tuple[str, int, int]]:
    """(key as shown, width, right edge) of each key in the footer (Textual's FooterKey, by its
    type name: the class is not public)."""
    return [
        (str(getattr(k, "key_display", "")), k.region.width, k.region.right)
        for k in app.screen.query("FooterKey")
    ]


def shown_keys(app: EdgewatchApp, width: int) -> set[str]:
    """The keys whose whole label lies inside the terminal's width."""
    return {key for key, w, right in footer_keys(app) if w and right <= width}


def palette_hint(app: EdgewatchApp) -> bool:
    return any(key == "^p" for key, _, _ in footer_keys(app))


async def test_every_key_fits_on_80_columns_and_the_full_footer_comes_back_when_wider() -> None:
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.screen.query_one(AppFooter)
        await wait_for(pilot, lambda: footer.compact, what="the compact footer")
        await wait_for(
            pilot, lambda: shown_keys(app, 80) >= DASHBOARD_KEYS, what="every key on 80 columns"
        )
        assert not palette_hint(app)  # ctrl+p still opens it; the help says so
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: not footer.compact and palette_hint(app), what="full")
        assert shown_keys(app, 120) >= DASHBOARD_KEYS
