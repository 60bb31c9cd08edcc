"""Test events for a queue, sent through the SigV4 emitter: ``edgewatch send`` and the Send screen.

Templates (realistic ``query``/``response`` events, fresh request ids) or the operator's own JSON;
paced, with progress, and one outcome per event (message id, emit → acknowledgement latency).
"""

from edgewatch.send.bodies import (
    BodyError,
    JsonBody,
    JsonLines,
    body_problem,
    parse_body,
    read_json_lines,
)
from edgewatch.send.engine import (
    MAX_COUNT,
    TEST_ATTRIBUTE,
    SendControl,
    SendError,
    SendOptions,
    resolve_queue,
    send_events,
)
from edgewatch.send.results import (
    EventOutcome,
    QueueTarget,
    SendProgress,
    SendResult,
)
from edgewatch.send.templates import (
    DEFAULT_GROUP,
    TEMPLATES,
    CustomEvents,
    EventSource,
    Outgoing,
    Template,
    TemplateEvents,
)

__all__ = [
    "DEFAULT_GROUP",
    "MAX_COUNT",
    "TEMPLATES",
    "TEST_ATTRIBUTE",
    "BodyError",
    "CustomEvents",
    "EventOutcome",
    "EventSource",
    "JsonBody",
    "JsonLines",
    "Outgoing",
    "QueueTarget",
    "SendControl",
    "SendError",
    "SendOptions",
    "SendProgress",
    "SendResult",
    "Template",
    "TemplateEvents",
    "body_problem",
    "parse_body",
    "read_json_lines",
    "resolve_queue",
    "send_events",
]
