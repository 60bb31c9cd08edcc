"""Alerts (no Textual): rules over thresholds and forecasts, an engine with hysteresis, de-dup
and cooldown, and the places alerts go (terminal bell and desktop notification, webhook)."""
