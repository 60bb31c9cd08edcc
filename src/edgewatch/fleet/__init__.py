"""Many queues in many places, no Textual: discovery across regions and accounts, costed polling.

Hot queues are read by ``GetQueueAttributes``, the rest by batched ``GetMetricData``, and the
poller says what it costs. Import from the submodules."""
