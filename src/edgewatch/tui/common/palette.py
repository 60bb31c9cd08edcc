"""Rich styles for levels and connection states, taken from the active Textual theme.

Cells are Rich ``Text`` (never markup strings, so AWS-supplied text stays literal), which means
their colours must be concrete: this resolves the theme's warning/error/success colours once per
theme change. The shipped light theme picks warning/error colours that read on white.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App

from edgewatch.config import Level
from edgewatch.metrics.models import ConnectionState


@dataclass(frozen=True, slots=True)
class Palette:
    ok: str
    warn: str
    crit: str
    accent: str
    muted: str = "dim"

    @classmethod
    def from_app(cls, app: App[object]) -> Palette:
        v = app.theme_variables

        def pick(name: str, fallback: str) -> str:
            return v.get(name) or fallback

        return cls(
            ok=pick("success", "green"),
            warn=pick("warning", "yellow"),
            crit=pick("error", "red"),
            accent=pick("accent", "cyan"),
        )

    def level(self, level: Level) -> str:
        """The style of a value at ``level`` (crit is bold so it reads without colour too)."""
        if level == "crit":
            return f"bold {self.crit}"
        if level == "warn":
            return self.warn
        return ""

    def connection(self, state: ConnectionState) -> str:
        return {
            "ok": f"bold {self.ok}",
            "degraded": f"bold {self.warn}",
            "down": f"bold {self.crit}",
            "paused": f"bold {self.warn}",
            "connecting": f"bold {self.accent}",
        }[state]
