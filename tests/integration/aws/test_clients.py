"""AwsClients: sessions share one botocore model loader; a plain-HTTP endpoint answers calls."""

from __future__ import annotations

from edgewatch.aws import AwsClients, AwsTarget


def test_sessions_share_one_model_loader() -> None:
    """The service JSON is parsed once per process, not once per session (start-up time)."""
    a = AwsClients(AwsTarget(region="us-east-1"))
    b = AwsClients(AwsTarget(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    assert a.session.get_component("data_loader") is b.session.get_component("data_loader")


async def test_a_plain_http_endpoint_needs_no_tls_settings(aws_target: AwsTarget) -> None:
    clients = AwsClients(aws_target)  # http://127.0.0.1:<port>: verify is off, nothing to verify
    try:
        sqs = await clients.sqs()
        url = (await sqs.create_queue(QueueName="plain-http"))["QueueUrl"]
        assert url.endswith("/plain-http")
    finally:
        await clients.aclose()
