"""edgewatch: a terminal console for an SQS edge-analytics pipeline."""

__version__ = "0.1.0"
