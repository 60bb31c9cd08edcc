"""Consumer discovery against moto over HTTP: event source mappings → functions → log groups."""

from __future__ import annotations

from edgewatch.aws import AwsClients, AwsTarget
from edgewatch.config import Settings
from edgewatch.consumers import NO_MAPPING, ConsumerDirectory, discover, queue_arn
from edgewatch.simulator.lambda_functions import create_function
from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from tests.support.denied import DeniedServer


async def _queue(clients: AwsClients, name: str) -> tuple[str, str]:
    sqs = await clients.sqs()
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attrs["Attributes"]["QueueArn"]


async def test_discovers_function_mapping_settings_and_log_group(aws_clients):
    url, arn = await _queue(aws_clients, "orders")
    assert queue_arn(url, aws_clients.region) == arn
    await create_function(
        aws_clients, "orders-consumer", arn, batch_size=5, batching_window_s=2, max_concurrency=4
    )
    found = await discover(aws_clients, arn)
    assert found.error is None and found.explanation is None
    (consumer,) = found.consumers
    assert consumer.function_name == "orders-consumer"
    assert (consumer.state, consumer.batch_size, consumer.batching_window_s) == ("Enabled", 5, 2)
    assert consumer.max_concurrency == 4 and consumer.report_batch_item_failures
    assert consumer.log_group == "/aws/lambda/orders-consumer"
    assert found.log_groups == ("/aws/lambda/orders-consumer",)


async def test_batch_item_failures_off_is_reported(aws_clients):
    _, arn = await _queue(aws_clients, "legacy")
    await create_function(aws_clients, "legacy-consumer", arn, report_batch_item_failures=False)
    (consumer,) = (await discover(aws_clients, arn)).consumers
    assert consumer.report_batch_item_failures is False


async def test_queue_without_mapping_says_so(aws_clients):
    _, arn = await _queue(aws_clients, "lonely")
    found = await discover(aws_clients, arn)
    assert found.consumers == () and found.explanation == NO_MAPPING


async def test_denied_lookup_is_said_plainly():
    server = DeniedServer()
    clients = AwsClients(
        AwsTarget(
            region="us-east-1", endpoint_url=server.endpoint_url, credentials=FAKE_CREDENTIALS
        )
    )
    try:
        found = await discover(clients, "arn:aws:sqs:us-east-1:123456789012:orders")
    finally:
        await clients.aclose()
        server.close()
    assert found.consumers == ()
    assert found.explanation == (
        "consumer lookup failed: access denied (lambda:ListEventSourceMappings)"
    )


async def test_configured_log_groups_override_discovery(aws_clients):
    url, arn = await _queue(aws_clients, "billing")
    await create_function(aws_clients, "billing-consumer", arn)
    settings = Settings(queues=[{"name": "billing", "log_groups": ["/ecs/billing-worker"]}])
    directory = ConsumerDirectory(aws_clients, settings)
    found = await directory.refresh([url])
    assert found[url].log_groups == ("/ecs/billing-worker",)
    assert found[url].consumers[0].function_name == "billing-consumer"
    assert directory.log_groups() == ("/ecs/billing-worker",)
    await directory.refresh([url])
    assert directory.lookups == 1  # known: not looked up again within the TTL
