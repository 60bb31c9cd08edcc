"""Data sources, no Textual: queue metrics poller, worker log tail, latency percentiles."""
