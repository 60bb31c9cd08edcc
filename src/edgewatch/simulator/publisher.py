"""The ``AWS/SQS`` CloudWatch metrics that AWS would publish and moto does not."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from edgewatch.aws import AwsClients
from edgewatch.simulator import moto_state
from edgewatch.simulator.moto_state import QueueSnapshot
from edgewatch.simulator.resources import QueueRef, StackResources
from edgewatch.simulator.state import PipelineConfig, PipelineState, backoff

METRICS_NAMESPACE = "AWS/SQS"


class MetricsPublisher:
    """Puts the ``AWS/SQS`` metrics (dimension ``QueueName``) that AWS would publish for us.

    Published right away and then every ``metrics_interval_s`` (AWS: once a minute), for every
    queue including the DLQs. Ages come from moto's in-process state; if that is unavailable,
    counts come from ``GetQueueAttributes`` and the age is left out (no datapoint, not 0).
    """

    def __init__(
        self,
        clients: AwsClients,
        resources: StackResources,
        config: PipelineConfig,
        state: PipelineState,
    ) -> None:
        self._clients, self._resources = clients, resources
        self._config, self._state = config, state
        self._account = resources.queue.arn.split(":")[4]
        self._backoff = backoff()

    async def run(self) -> None:
        """Publish every interval (the first datapoints were put by :meth:`Pipeline.start`)."""
        trimmed_at = time.monotonic()
        while True:
            await asyncio.sleep(self._config.metrics_interval_s)
            while not await self.try_publish():
                await self._backoff.wait()
            self._backoff.reset()
            if time.monotonic() - trimmed_at >= self._config.housekeeping_s:
                trimmed_at = time.monotonic()
                moto_state.trim(
                    self._account,
                    self._resources.region,
                    namespace=METRICS_NAMESPACE,
                    keep_s=self._config.metrics_retention_s,
                )

    async def try_publish(self) -> bool:
        """Publish once; an error is counted, not raised."""
        try:
            await self.publish_once()
        except Exception as exc:
            self._state.error("metrics", exc)
            return False
        return True

    async def _snapshot(self, queue: QueueRef) -> tuple[QueueSnapshot, bool]:
        """The queue's counts, and whether its age is known (moto's internals were readable)."""
        snap = moto_state.queue_snapshot(self._account, self._resources.region, queue.name)
        age_known = snap is not None
        if snap is None:
            sqs = await self._clients.sqs()
            response = await sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
            attrs = response["Attributes"]
            snap = QueueSnapshot(
                visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
                oldest_age_s=0.0,
            )
        self._state.snapshots[queue.name] = snap
        return snap, age_known

    async def publish_once(self) -> None:
        data: list[dict[str, Any]] = []
        for queue in self._resources.queues:
            snap, age_known = await self._snapshot(queue)
            dims = [{"Name": "QueueName", "Value": queue.name}]
            values: list[tuple[str, float, str]] = [
                ("ApproximateNumberOfMessagesVisible", snap.visible, "Count"),
                ("ApproximateNumberOfMessagesNotVisible", snap.in_flight, "Count"),
                ("ApproximateNumberOfMessagesDelayed", snap.delayed, "Count"),
            ]
            if age_known:
                values.append(
                    ("ApproximateAgeOfOldestMessage", round(snap.oldest_age_s, 3), "Seconds")
                )
            data.extend(
                {"MetricName": name, "Dimensions": dims, "Value": float(value), "Unit": unit}
                for name, value, unit in values
            )
        cloudwatch = await self._clients.cloudwatch()
        await cloudwatch.put_metric_data(Namespace=METRICS_NAMESPACE, MetricData=data)
        self._state.stats.metric_publishes += 1
