"""The default event serialiser: compact ASCII JSON, one shared encoder."""

from __future__ import annotations

import json
from typing import Any

_JSON = json.JSONEncoder(separators=(",", ":"), default=str).encode


def default_serializer(event: Any) -> str:
    """Compact ASCII JSON; values JSON cannot hold (datetimes, UUIDs, Decimals) become strings."""
    return _JSON(event)
