"""The default event serialiser: compact ASCII JSON from one shared C encoder.

``json.dumps`` (and ``JSONEncoder.encode``) build a new C encoder on every call and keep a table
of visited containers; on the emitter's path, for a middleware-sized dict, that is about a third
of the cost of serialising it. One encoder made once, without the circular-reference table
(a self-referencing event fails with RecursionError instead, reported as ``unserializable``),
gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

try:
    # c_make_encoder is json.encoder's private alias of _json.make_encoder (None without the C
    # accelerator); typeshed does not declare it.
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
    from json.encoder import encode_basestring_ascii as _ascii
except ImportError:  # pragma: no cover - an interpreter without the C accelerator
    _c_make_encoder = None

# The shared C encoder itself, for the emitter's batching loop: ``"".join(DICT_CHUNKS(event,
# 0))`` is ``default_serializer(event)`` for a dict, without a Python call per event.
DICT_CHUNKS: Any = None

if _c_make_encoder is not None:
    DICT_CHUNKS = _c_make_encoder(None, str, _ascii, None, ":", ",", False, False, True)

    def default_serializer(event: Any) -> str:
        """Compact ASCII JSON; values JSON cannot hold (datetimes, UUIDs, Decimals) are strings."""
        if type(event) is str:
            return _ascii(event)
        return "".join(DICT_CHUNKS(event, 0))

else:  # pragma: no cover
    _JSON = json.JSONEncoder(separators=(",", ":"), default=str).encode

    def default_serializer(event: Any) -> str:
        """Compact ASCII JSON; values JSON cannot hold (datetimes, UUIDs, Decimals) are strings."""
        return _JSON(event)
