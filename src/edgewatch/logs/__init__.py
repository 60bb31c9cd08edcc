"""Worker logs, no Textual: the tail over CloudWatch and files, line models, search, latency."""
