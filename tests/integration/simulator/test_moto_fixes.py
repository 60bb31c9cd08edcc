"""The embedded stack's fixes to moto keep moto's answers: checked over HTTP against the server."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from moto.core.utils import unix_time, unix_time_millis
from moto.sqs import models

from edgewatch.simulator.moto_fixes import apply_moto_fixes, fast_clock, serialise_deletes


def test_fixes_are_installed_by_the_server(moto_server) -> None:
    assert apply_moto_fixes() is True
    assert models.unix_time_millis.__wrapped__ is unix_time_millis  # type: ignore[attr-defined]


def test_fast_clock_reads_the_same_instant_and_passes_datetimes_to_moto() -> None:
    clock = fast_clock(unix_time_millis, 1000.0)
    before = unix_time_millis()
    now = clock()
    after = unix_time_millis()
    assert before <= now <= after + 1.0  # float rounding between the two clocks: < 1 ms
    moment = datetime(2026, 1, 2, 3, 4, 5)
    assert clock(moment) == unix_time_millis(moment)
    assert fast_clock(unix_time, 1.0)(moment) == unix_time(moment)
    assert abs(fast_clock(unix_time, 1.0)() - time.time()) < 0.01


def test_receive_still_drops_messages_past_the_retention_period(moto_server, boto3_sqs) -> None:
    url = boto3_sqs.create_queue(QueueName="retained", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"
    ]
    boto3_sqs.send_message(QueueUrl=url, MessageBody="new")
    boto3_sqs.send_message(QueueUrl=url, MessageBody="old")
    queue = models.sqs_backends["123456789012"]["us-east-1"].queues["retained"]
    old = next(m for m in queue._messages if m.body == "old")
    old.sent_timestamp -= 61_000  # sent 61 s earlier than it was: past the 60 s retention

    got = boto3_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["new"]


def test_receive_counts_and_visibility_unchanged(moto_server, boto3_sqs) -> None:
    url = boto3_sqs.create_queue(QueueName="counted")["QueueUrl"]
    for i in range(5):
        boto3_sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    boto3_sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    got = boto3_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    assert len(got["Messages"]) == 2
    attrs = boto3_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "3"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "2"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    again = boto3_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in again) == ["m2", "m3", "m4"]


def test_a_delete_waits_for_the_queues_lock_so_parallel_deletes_cannot_undo_one_another(
    moto_server, boto3_sqs
) -> None:
    """moto rebuilds the message list on delete without the lock its sends take; the server
    makes deletes take it. Held here, a delete over HTTP cannot finish until it is released."""
    assert serialise_deletes() is True
    url = boto3_sqs.create_queue(QueueName="serial-deletes")["QueueUrl"]
    boto3_sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = boto3_sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0][
        "ReceiptHandle"
    ]
    queue = models.sqs_backends["123456789012"]["us-east-1"].queues["serial-deletes"]
    done = threading.Event()

    def delete() -> None:
        boto3_sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        done.set()

    deleter = threading.Thread(target=delete)
    with queue._messages_lock:
        deleter.start()
        assert not done.wait(0.3)  # blocked on the lock (without the fix it returns at once)
    deleter.join(timeout=10)
    assert done.is_set() and queue._messages == []


async def test_mapped_queue_keeps_its_messages_for_the_simulated_consumer(aws_clients) -> None:
    """moto would hand each message to the (unrunnable) function; the queue keeps it instead,
    and the mapping is still there to be discovered."""
    from edgewatch.simulator.lambda_functions import create_function

    sqs = await aws_clients.sqs()
    url = (await sqs.create_queue(QueueName="mapped"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    await create_function(aws_clients, "mapped-consumer", arn)
    await sqs.send_message(QueueUrl=url, MessageBody="hello")
    got = await sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )
    (message,) = got["Messages"]
    assert message["Body"] == "hello"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # nobody received it before
    lam = await aws_clients.client("lambda")
    assert (await lam.list_event_source_mappings(EventSourceArn=arn))["EventSourceMappings"]


def test_indexed_get_metric_data_answers_as_moto_does(moto_server) -> None:
    """Same queries, same data: the index and moto's own scan give identical results."""
    from datetime import UTC, timedelta

    import boto3
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends

    from edgewatch.simulator.moto_metrics_index import apply_metrics_index
    from edgewatch.simulator.moto_server import FAKE_CREDENTIALS

    assert apply_metrics_index() is True
    cw = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url=moto_server.endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS[0],
        aws_secret_access_key=FAKE_CREDENTIALS[1],
    )
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "QueueName", "Value": f"q{q}"}],
            "Value": float(q * 10 + minute + offset),
            "Timestamp": base + timedelta(minutes=minute, seconds=offset * 7),
            "Unit": "Count",
        }
        for q in range(4)
        for metric in ("ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent")
        for minute in range(8)
        for offset in (0, 1, 2)
    ]
    cw.put_metric_data(Namespace="AWS/SQS", MetricData=data)
    cw.put_metric_data(
        Namespace="Other",
        MetricData=[{"MetricName": "NoDims", "Value": 3.0, "Timestamp": base}],
    )
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "QueueName", "Value": f"q{q}"}],
                },
                "Period": period,
                "Stat": stat,
                **({"Unit": "Count"} if i % 3 == 0 else {}),
            },
        }
        for i, (q, metric, stat, period) in enumerate(
            (q, metric, stat, period)
            for q in range(5)  # q4 has no data
            for metric in ("ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent")
            for stat in ("Maximum", "Sum", "Average", "SampleCount")
            for period in (60, 300)
        )
    ]
    queries.append(
        {
            "Id": "nodims",
            "MetricStat": {
                "Metric": {"Namespace": "Other", "MetricName": "NoDims"},
                "Period": 60,
                "Stat": "Sum",
            },
        }
    )
    backend = cloudwatch_backends["123456789012"]["us-east-1"]
    original = CloudWatchBackend.get_metric_data.__wrapped__  # type: ignore[attr-defined]
    naive = base.replace(tzinfo=None)  # what moto stores and what its API layer passes
    start, end = naive - timedelta(minutes=5), naive + timedelta(minutes=20)
    for scan in ("TimestampAscending", "TimestampDescending"):
        ours = backend.get_metric_data(queries, start, end, scan)
        theirs = original(backend, queries, start, end, scan)
        assert ours == theirs
    assert any(r["values"] for r in ours) and any(not r["values"] for r in ours)
