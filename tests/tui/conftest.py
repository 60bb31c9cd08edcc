"""Fixtures for the TUI tests (the helpers live in ``tui_support``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.tui_support import LiveQueues, Scene, build_scene


@pytest.fixture
def scene() -> Scene:
    """The fixed scene every snapshot and dashboard test starts from."""
    return build_scene()


@pytest.fixture
def live_queues(boto3_sqs: Any) -> LiveQueues:
    """Real queues in the (reset) moto server: orders with a DLQ, and payments."""
    return LiveQueues.create(boto3_sqs)
