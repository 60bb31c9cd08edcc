"""Find a queue's consumers: ``ListEventSourceMappings(EventSourceArn=<queue ARN>)`` gives the
functions; ``GetFunctionConfiguration`` gives each one's log group (``LoggingConfig.LogGroup``,
else ``/aws/lambda/<name>``). Lookups for several queues run concurrently; a failure is kept as
a sentence for the operator, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from edgewatch.aws import AwsClients, describe_error, error_code
from edgewatch.consumers.models import LambdaConsumer, QueueConsumers

MAX_PAGES = 20
DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


def queue_arn(url: str, region: str, partition: str = "aws") -> str | None:
    """The ARN of a queue URL (``…/<account>/<name>``, the same shape on AWS, moto, LocalStack)."""
    parts = urlsplit(url).path.strip("/").split("/")
    if len(parts) < 2 or not parts[-2] or not parts[-1]:
        return None
    return f"arn:{partition}:sqs:{region}:{parts[-2]}:{parts[-1]}"


def function_name(function_arn: str) -> str:
    """``arn:aws:lambda:r:acct:function:name[:qualifier]`` → ``name`` (a name stays a name)."""
    parts = function_arn.split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else function_arn


def _describe(exc: BaseException, what: str) -> str:
    if error_code(exc) in DENIED:
        return f"access denied ({what})"
    return f"{what}: {describe_error(exc)}"


async def _mappings(lam: Any, arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    marker: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"EventSourceArn": arn}
        if marker:
            params["Marker"] = marker
        page = await lam.list_event_source_mappings(**params)
        found += page.get("EventSourceMappings") or []
        marker = page.get("NextMarker")
        if not marker:
            break
    return found


async def _consumer(lam: Any, mapping: dict[str, Any]) -> LambdaConsumer:
    fn_arn = str(mapping.get("FunctionArn") or "")
    name = function_name(fn_arn)
    log_group = f"/aws/lambda/{name}"
    log_format = problem = None
    try:
        config = await lam.get_function_configuration(FunctionName=fn_arn or name)
    except Exception as exc:
        problem = _describe(exc, "lambda:GetFunctionConfiguration") + "; assuming " + log_group
    else:
        logging = config.get("LoggingConfig") or {}
        log_group = logging.get("LogGroup") or log_group
        log_format = logging.get("LogFormat")
    window = mapping.get("MaximumBatchingWindowInSeconds")
    scaling = mapping.get("ScalingConfig") or {}
    return LambdaConsumer(
        function_name=name,
        function_arn=fn_arn,
        mapping_uuid=str(mapping.get("UUID") or ""),
        state=str(mapping.get("State") or "unknown"),
        batch_size=mapping.get("BatchSize"),
        batching_window_s=window if isinstance(window, int) else None,
        max_concurrency=scaling.get("MaximumConcurrency"),
        report_batch_item_failures="ReportBatchItemFailures"
        in (mapping.get("FunctionResponseTypes") or []),
        log_group=log_group,
        log_format=log_format,
        problem=problem,
    )


async def discover(clients: AwsClients, arn: str) -> QueueConsumers:
    """The Lambda consumers of the queue ``arn``; errors become :attr:`QueueConsumers.error`."""
    try:
        lam = await clients.client("lambda")
        mappings = await _mappings(lam, arn)
    except Exception as exc:
        return QueueConsumers(arn, error=_describe(exc, "lambda:ListEventSourceMappings"))
    consumers = await asyncio.gather(*(_consumer(lam, m) for m in mappings))
    return QueueConsumers(arn, tuple(consumers))


async def discover_many(clients: AwsClients, arns: Iterable[str]) -> dict[str, QueueConsumers]:
    unique = list(dict.fromkeys(arns))
    results = await asyncio.gather(*(discover(clients, arn) for arn in unique))
    return dict(zip(unique, results, strict=True))
