"""Many queues, many places (no Textual): discovery across regions and accounts, costed polling
(hot queues by ``GetQueueAttributes``, the rest by batched ``GetMetricData``), and what it costs.
Import from the submodules."""
