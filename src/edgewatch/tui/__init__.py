"""The Textual console. Nothing outside this package imports Textual."""

from edgewatch.tui.app import EdgewatchApp

__all__ = ["EdgewatchApp"]
