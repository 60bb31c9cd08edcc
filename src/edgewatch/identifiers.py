"""Names in AWS identifiers: the queue name at the end of a queue URL or ARN, and the region
edgewatch assumes when none is configured. Pure string work, one definition each."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_REGION = "us-east-1"  # also the embedded stack's region


def queue_name_from_url(url: str) -> str:
    """``https://sqs.eu-west-1.amazonaws.com/123456789012/orders`` → ``orders`` (also for a
    bare name, returned as is)."""
    path = urlsplit(url).path if "://" in url else url
    return path.rstrip("/").rsplit("/", 1)[-1]


def account_from_url(url: str) -> str | None:
    """``<endpoint>/<account>/<name>`` → the account id (``None`` for another shape)."""
    parts = url.rstrip("/").rsplit("/", 2)
    return parts[1] if len(parts) == 3 and parts[1].isdigit() else None


def queue_name_from_arn(arn: str) -> str:
    """``arn:aws:sqs:eu-west-1:123456789012:orders`` → ``orders``."""
    return arn.rsplit(":", 1)[-1]
