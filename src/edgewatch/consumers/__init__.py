"""A queue's consumers, found from its event source mappings: functions, settings, log groups."""

from edgewatch.consumers.directory import ConsumerDirectory, configured_groups
from edgewatch.consumers.discovery import discover, discover_many, function_name, queue_arn
from edgewatch.consumers.models import NO_MAPPING, PARTIAL_OFF, LambdaConsumer, QueueConsumers

__all__ = [
    "NO_MAPPING",
    "PARTIAL_OFF",
    "ConsumerDirectory",
    "LambdaConsumer",
    "QueueConsumers",
    "configured_groups",
    "discover",
    "discover_many",
    "function_name",
    "queue_arn",
]
