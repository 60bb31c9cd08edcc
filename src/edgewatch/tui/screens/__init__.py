"""Screens: the dashboard, the help screen, the poller-error modal."""

from edgewatch.tui.screens.dashboard import DashboardScreen
from edgewatch.tui.screens.error import PollerErrorScreen
from edgewatch.tui.screens.help import HelpScreen

__all__ = ["DashboardScreen", "HelpScreen", "PollerErrorScreen"]
