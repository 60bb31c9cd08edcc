"""An exponentially weighted moving average for irregularly spaced samples.

Polls are not evenly spaced (a poll waits for the previous one, outages back off), so the weight
of a new sample comes from the time since the previous one: ``alpha = 1 - exp(-dt / tau)``.
A sample ``tau`` seconds after the previous one moves the average ~63 % of the way.
"""

from __future__ import annotations

import math


class Ewma:
    """Time-constant EWMA; ``value`` is ``None`` until the first sample (never a made-up 0)."""

    __slots__ = ("at", "tau_s", "value")

    def __init__(self, tau_s: float) -> None:
        if tau_s <= 0:
            raise ValueError("tau_s must be positive")
        self.tau_s = tau_s
        self.value: float | None = None
        self.at: float | None = None

    def update(self, x: float, at: float) -> float:
        if self.value is None or self.at is None:
            self.value = x
        else:
            dt = max(0.0, at - self.at)
            alpha = 1.0 - math.exp(-dt / self.tau_s)
            self.value += alpha * (x - self.value)
        self.at = at
        return self.value

    def reset(self) -> None:
        self.value = None
        self.at = None
