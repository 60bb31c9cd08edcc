"""The embedded stack's consumers as AWS sees them: a Lambda function and an SQS event source
mapping per source queue, so that consumer discovery runs against the stack as against AWS.

moto runs no function code without Docker (and ignores ``LoggingConfig``): the functions only
exist to be found. The simulated consumer (``simulator.lambda_consumer``) does the work and
writes the function's logs to ``/aws/lambda/<function>``, as Lambda would.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from edgewatch.aws import AwsClients, error_code

ROLE_NAME = "edgewatch-consumer"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
_HANDLER = b"def handler(event, context):\n    return {'batchItemFailures': []}\n"
EXISTS = frozenset({"EntityAlreadyExists", "ResourceConflictException"})


@dataclass(frozen=True, slots=True)
class FunctionRef:
    name: str
    arn: str
    log_group: str
    log_format: str  # "Text" or "JSON"
    mapping_uuid: str


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", _HANDLER)
    return buffer.getvalue()


async def _role(clients: AwsClients) -> str:
    iam = await clients.client("iam")
    try:
        created = await iam.create_role(
            RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(_TRUST)
        )
        return str(created["Role"]["Arn"])
    except Exception as exc:
        if error_code(exc) not in EXISTS:
            raise
    return str((await iam.get_role(RoleName=ROLE_NAME))["Role"]["Arn"])


async def create_function(
    clients: AwsClients,
    name: str,
    queue_arn: str,
    *,
    log_format: str = "Text",
    batch_size: int = 10,
    batching_window_s: int = 0,
    max_concurrency: int | None = None,
    report_batch_item_failures: bool = True,
) -> FunctionRef:
    """Create (or find) the function ``name`` and its mapping from ``queue_arn``."""
    lam = await clients.client("lambda")
    log_group = f"/aws/lambda/{name}"
    try:
        created = await lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=await _role(clients),
            Handler="handler.handler",
            Code={"ZipFile": _code()},
            Timeout=3,
            MemorySize=128,
            LoggingConfig={"LogFormat": log_format, "LogGroup": log_group},
        )
        arn = str(created["FunctionArn"])
    except Exception as exc:
        if error_code(exc) not in EXISTS:
            raise
        arn = str((await lam.get_function_configuration(FunctionName=name))["FunctionArn"])
    existing = await lam.list_event_source_mappings(EventSourceArn=queue_arn, FunctionName=arn)
    mappings = existing.get("EventSourceMappings") or []
    if mappings:
        uuid = str(mappings[0]["UUID"])
    else:
        params: dict[str, object] = {
            "EventSourceArn": queue_arn,
            "FunctionName": arn,
            "BatchSize": batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"]
            if report_batch_item_failures
            else [],
        }
        if batching_window_s:
            params["MaximumBatchingWindowInSeconds"] = batching_window_s
        if max_concurrency is not None:
            params["ScalingConfig"] = {"MaximumConcurrency": max_concurrency}
        uuid = str((await lam.create_event_source_mapping(**params))["UUID"])
    return FunctionRef(name, arn, log_group, log_format, uuid)
