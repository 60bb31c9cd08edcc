"""Plain-text formatting shared by the CLI and the console (no Rich markup, no Textual)."""

from __future__ import annotations

from collections.abc import Sequence

SPARK_CHARS = "▁▂▃▄▅▆▇█"
NA = "n/a"


def human_duration(seconds: float | None) -> str:
    """``None`` → "n/a"; otherwise the two largest units: 45s, 3m12s, 2h05m, 3d04h."""
    if seconds is None:
        return NA
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def count(value: int | None) -> str:
    """Thousands separated; unknown is "–" (a count we could not read is not zero)."""
    return "–" if value is None else f"{value:,}"


def sparkline(values: Sequence[float | None], width: int) -> str:
    """The last ``width`` values as block characters, scaled to their own max; gaps as spaces."""
    tail = list(values)[-width:]
    known = [v for v in tail if v is not None]
    if not known:
        return " " * width
    top = max(known)
    out = []
    for v in tail:
        if v is None:
            out.append(" ")
        elif top <= 0:
            out.append(SPARK_CHARS[0])
        else:
            top_index = len(SPARK_CHARS) - 1
            out.append(SPARK_CHARS[min(top_index, int(v / top * top_index))])
    return "".join(out).rjust(width)
