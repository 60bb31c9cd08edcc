"""Alerts in the console: notifications, the bell, the webhook, and the history screen."""
