"""Configuration that will certainly fail against AWS, caught before the first call.

Two mistakes look fine to the settings model and then fail in confusing ways: a profile that is
not in the AWS config files (every call fails, the console retries forever), and a queue URL in
another region than the one configured (it is polled at the wrong regional endpoint, or, behind
an endpoint override, a same-named queue of the other region is read silently). SQS serves a
queue only from its own region, so such a URL is refused rather than guessed around: the
operator sets ``aws.region`` to the queue's region (one console watches one region).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import botocore.exceptions
import botocore.session

from edgewatch.config import ConfigError, Settings

DEFAULT_REGION = "us-east-1"
# sqs.<region>.amazonaws.com[.cn], <region>.queue.amazonaws.com (legacy), sqs.<region>.api.aws,
# vpce-….sqs.<region>.vpce.amazonaws.com, and LocalStack's sqs.<region>.localhost.localstack.cloud.
_REGIONAL_HOSTS = (
    re.compile(r"(?:^|\.)sqs[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\."),
    re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com"),
)


def queue_url_region(url: str) -> str | None:
    """The region a queue URL names in its host, or ``None`` (a local endpoint names none)."""
    host = (urlsplit(url).hostname or "").lower()
    for pattern in _REGIONAL_HOSTS:
        found = pattern.search(host)
        if found:
            return found.group("region")
    return None


def problems(settings: Settings) -> list[str]:
    """Each certain failure as one line for the operator (empty when none is found)."""
    aws = settings.aws
    session = botocore.session.Session()
    profile = aws.profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    if profile and profile not in session.available_profiles:
        where = "aws.profile" if aws.profile else "AWS_PROFILE"
        known = ", ".join(sorted(session.available_profiles)) or "none"
        return [
            f"{where}: profile {profile!r} is not in the AWS config files "
            f"(~/.aws/config, ~/.aws/credentials; known profiles: {known})"
        ]
    session = botocore.session.Session(profile=profile)
    try:
        chain_region = session.get_config_variable("region")
    except botocore.exceptions.BotoCoreError as exc:  # e.g. an unreadable config file
        return [f"AWS config files: {exc}"]
    region = aws.region or chain_region or DEFAULT_REGION
    out = []
    fleet = getattr(settings, "fleet", None)
    for i, source in enumerate(fleet.sources if fleet is not None else ()):
        if source.profile and source.profile not in session.available_profiles:
            out.append(
                f"fleet.sources[{i}].profile: profile {source.profile!r} is not in the AWS "
                "config files (~/.aws/config, ~/.aws/credentials)"
            )
    for queue in settings.queues:
        if not queue.is_url:
            continue
        url_region = queue_url_region(queue.name)
        if url_region is not None and url_region != region:
            out.append(
                f"queues: {queue.name} is in {url_region} but edgewatch uses {region}: set "
                f'aws.region = "{url_region}" (or --region {url_region}), or drop this queue'
            )
    return out


def check(settings: Settings) -> None:
    """Raise :class:`ConfigError` with the first problem (one line: exit 2, no retry loop)."""
    found = problems(settings)
    if found:
        raise ConfigError(found[0])
