"""Alerts, no Textual: rules over thresholds and forecasts, the engine, where alerts go.

The engine has hysteresis, de-dup and cooldown; alerts go to the terminal bell, a desktop
notification or a webhook."""
