"""The Logs screen and the app's one log tail service."""
