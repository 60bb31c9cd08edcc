"""Fire-and-forget, batched, SigV4-signed delivery of events to SQS; botocore is its one dependency.

``Emitter.emit(event)`` costs the caller about a microsecond and never waits on the network; a
background task batches, signs, sends and retries. ``ThreadedEmitter`` is the same for code with
no event loop. Middleware: ``edgewatch_emitter.asgi`` and ``edgewatch_emitter.wsgi``; Lambda:
``edgewatch_emitter.aws_lambda``. The retry policy (``BackoffPolicy``) and the batch-result
classifier (``classify_batch``) are shared with the edgewatch console.
"""

from edgewatch_emitter.backoff import Backoff, BackoffPolicy
from edgewatch_emitter.batch import BatchResult, EntryFailure, classify_batch
from edgewatch_emitter.emitter import Emitter
from edgewatch_emitter.options import EmitterOptions, Overflow
from edgewatch_emitter.results import DeliveryFailure, DeliveryReceipt, EmitterStats, FlushResult
from edgewatch_emitter.serialize import default_serializer

__all__ = [
    "Backoff",
    "BackoffPolicy",
    "BatchResult",
    "DeliveryFailure",
    "DeliveryReceipt",
    "Emitter",
    "EmitterOptions",
    "EmitterStats",
    "EntryFailure",
    "FlushResult",
    "Overflow",
    "classify_batch",
    "default_serializer",
]
