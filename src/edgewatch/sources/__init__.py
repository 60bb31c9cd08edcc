"""Data sources: queue metrics poller (and later the log tail and latency stats). No Textual."""
