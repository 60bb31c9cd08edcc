"""Turn botocore/aiohttp exceptions into short operator-facing text and a few classifications.

Messages never include request headers or credentials: botocore's own messages do not, and we
never format the request.
"""

from __future__ import annotations

import asyncio

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from edgewatch_emitter.codes import THROTTLE_CODES

try:  # aiobotocore >= 3 speaks aiohttp; a closed connection may surface as its error
    from aiohttp import ClientError as _AiohttpError
except ImportError:  # pragma: no cover
    _AiohttpError = OSError  # type: ignore[assignment,misc]  # a stand-in class of another type

NO_QUEUE_CODES = frozenset(
    {
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NonExistentQueue",
    }
)
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError (``com.amazonaws.sqs#X`` is reduced to ``X``)."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "") or "")
        return code.rsplit("#", 1)[-1] or None
    return None


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLE_CODES


def is_connection_error(exc: BaseException) -> bool:
    """The endpoint is unreachable or hung, as opposed to answering with an error."""
    return isinstance(
        exc,
        EndpointConnectionError
        | ConnectionClosedError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ConnectionError
        | asyncio.TimeoutError
        | _AiohttpError,
    )


def describe_error(exc: BaseException) -> str:
    """One line an operator can act on."""
    code = error_code(exc)
    if isinstance(exc, ClientError):
        message = str(exc.response.get("Error", {}).get("Message", "") or "").strip()
        if code in NO_QUEUE_CODES:
            return "no such queue" + (f" ({message})" if message else "")
        if code in THROTTLE_CODES:
            return f"throttled ({code})"
        if code in DENIED_CODES:
            return f"access denied{': ' + message if message else ''}"
        if code in {"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken"}:
            return f"credentials rejected ({code})"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if message.startswith("<"):  # an HTML error page (moto's 500 for unsupported calls)
            message = f"HTTP {status} from the endpoint (operation unsupported or server error)"
            code = None
        parts = [code or f"HTTP {status}"] if code or not message else []
        if message:
            parts.append(message)
        return ": ".join(parts)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials found (the standard chain: environment, ~/.aws, SSO, "
            "instance role); set AWS_PROFILE or run `aws sso login`"
        )
    if isinstance(exc, ProfileNotFound):
        return f"AWS profile not found: {exc.kwargs.get('profile', '?')}"
    if isinstance(exc, NoRegionError):
        return "no AWS region: set aws.region, --region or AWS_REGION"
    if isinstance(exc, EndpointConnectionError):
        return f"endpoint unreachable: {exc.kwargs.get('endpoint_url', '')}".rstrip(": ")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | asyncio.TimeoutError):
        return "endpoint timed out"
    if isinstance(exc, _AiohttpError | ConnectionError):
        return f"connection failed: {type(exc).__name__}"
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
