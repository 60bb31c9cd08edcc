"""DLQ browse and replay engines (no Textual): the CLI and the console share them.

Typical use::

    plan = await plan_replay(clients, "orders-dlq", selection=Selection.build(limit=100))
    engine = ReplayEngine(clients, plan)
    async for event in engine.events():   # ReplayProgress | MessageOutcome | ReplayFinished
        ...
    # engine.cancel() from elsewhere stops it after the batches in flight
"""

from edgewatch.dlq.browse import BROWSE_WARNING, BrowsePage, DlqBrowser, HeldMessage
from edgewatch.dlq.models import (
    REPLAY_ATTRIBUTE,
    DlqMessage,
    MessageAttribute,
    QueueInfo,
    ReplayRecord,
    request_id_of,
)
from edgewatch.dlq.queues import ReplayError
from edgewatch.dlq.replay.engine import EventCallback, ReplayEngine
from edgewatch.dlq.replay.events import (
    MessageOutcome,
    ReplayEvent,
    ReplayFinished,
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplayResult,
)
from edgewatch.dlq.replay.native import NativeSupport, detect_native
from edgewatch.dlq.replay.plan import NativeOffer, offer_native, plan_replay, replay_options
from edgewatch.dlq.replay.preview import preview_held
from edgewatch.dlq.selection import FilterError, MessageFilter, Selection

__all__ = [
    "BROWSE_WARNING",
    "REPLAY_ATTRIBUTE",
    "BrowsePage",
    "DlqBrowser",
    "DlqMessage",
    "EventCallback",
    "FilterError",
    "HeldMessage",
    "MessageAttribute",
    "MessageFilter",
    "MessageOutcome",
    "NativeOffer",
    "NativeSupport",
    "QueueInfo",
    "ReplayEngine",
    "ReplayError",
    "ReplayEvent",
    "ReplayFinished",
    "ReplayOptions",
    "ReplayPlan",
    "ReplayProgress",
    "ReplayRecord",
    "ReplayResult",
    "Selection",
    "detect_native",
    "offer_native",
    "plan_replay",
    "preview_held",
    "replay_options",
    "request_id_of",
]
