"""The dashboard: queue table, queue detail and the latency chart."""
