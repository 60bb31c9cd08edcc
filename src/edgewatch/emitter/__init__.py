"""Fire-and-forget, batched, SigV4-signed delivery of events to SQS, and an ASGI middleware.

``Emitter.emit(event)`` costs the caller a few microseconds and never waits on the network; a
background task batches, signs, sends and retries. See ``edgewatch.emitter.asgi`` for the
request-logging middleware built on it.
"""

from edgewatch.emitter.emitter import Emitter, default_serializer
from edgewatch.emitter.results import DeliveryFailure, DeliveryReceipt, EmitterStats, FlushResult

__all__ = [
    "DeliveryFailure",
    "DeliveryReceipt",
    "Emitter",
    "EmitterStats",
    "FlushResult",
    "default_serializer",
]
