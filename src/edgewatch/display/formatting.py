"""Plain-text formatting shared by the console and the CLI: ages, counts, sparklines, truncation.

Escaping outside text is not here: it has one home, :mod:`edgewatch.display.escape`.

Kept free of Textual so the rules (``None`` is "n/a", never 0) are unit-testable on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

SPARK_BARS = "▁▂▃▄▅▆▇█"
GAP = " "
ELLIPSIS = "…"
UNKNOWN = "—"


def humanise_age(seconds: float | None) -> str:
    """A duration as an operator reads it: ``42s``, ``3m05s``, ``2h10m``, ``3d04h``; ``n/a``."""
    if seconds is None:
        return "n/a"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def ago(then: float | None, now: float) -> str:
    """``3s ago`` relative to the injected clock; ``never`` when it has not happened."""
    if then is None:
        return "never"
    return f"{humanise_age(max(0.0, now - then))} ago"


def count(value: int | None) -> str:
    """A message count with thousands separators; unknown is a dash (not 0)."""
    return UNKNOWN if value is None else f"{value:,}"


MIN_HEAD = 2  # leading characters a middle-cut name keeps at least


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis (the full text is in the detail pane)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + ELLIPSIS


def truncate_middle(text: str, width: int) -> str:
    """Cut a queue name in the middle: names share prefixes and differ at the end (-dlq, .fifo).

    The last ``-``/``_`` part is kept whole when it leaves room for a few leading characters, so
    ``edge-analytics-dlq.fifo`` stays tellable from ``edge-analytics.fifo`` in a narrow column.
    """
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    cut = max(text.rfind("-"), text.rfind("_"))
    if cut > 0 and len(text) - cut <= width - 1 - MIN_HEAD:
        end = text[cut:]
        return text[: width - 1 - len(end)] + ELLIPSIS + end
    tail = (width - 1) // 2
    head = width - 1 - tail
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def sparkline(values: Sequence[float | None], width: int) -> str:
    """The last ``width`` values as ▁▂▃▄▅▆▇█, scaled between the window's minimum and maximum.

    Like Textual's ``Sparkline`` (used in the detail pane), so both read the same way: the shape
    says rising or falling, the number next to it says how deep. A flat series is a flat ▁ line.
    Unknown points (outage, stale read) are gaps so that they never pass for "empty".
    """
    if width <= 0:
        return ""
    window = list(values)[-width:]
    known = [v for v in window if v is not None]
    low, high = min(known, default=0.0), max(known, default=0.0)
    top = len(SPARK_BARS) - 1
    chars = []
    for v in window:
        if v is None:
            chars.append(GAP)
        elif high <= low:
            chars.append(SPARK_BARS[0])
        else:
            chars.append(SPARK_BARS[round((v - low) / (high - low) * top)])
    return "".join(chars).rjust(width, GAP)
