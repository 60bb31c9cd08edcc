"""Queue metrics, no Textual: the poller, its snapshots and the threshold levels."""
