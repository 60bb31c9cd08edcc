"""Async AWS access: one client factory (aiobotocore) and error helpers shared by every engine."""

from edgewatch.aws.clients import AwsClients, AwsTarget
from edgewatch.aws.errors import describe_error, error_code, is_connection_error, is_throttle

__all__ = [
    "AwsClients",
    "AwsTarget",
    "describe_error",
    "error_code",
    "is_connection_error",
    "is_throttle",
]
