"""On the embedded stack (no configuration), a dead-lettered message's failure is found in its
consumer's logs by message ID, on both queues, for non-JSON bodies too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from edgewatch.cli import main
from edgewatch.simulator.pipeline import PipelineConfig
from edgewatch.simulator.stack import EmbeddedStack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_user_config")


@pytest.fixture(scope="module")
def stack(moto_session_server) -> Iterator[EmbeddedStack]:
    moto_session_server.reset()  # moto's state is per process: a clean one for this module
    with EmbeddedStack(seed=11, config=PipelineConfig.fast()) as running:
        yield running


def listed(capsys, stack: EmbeddedStack, dlq: str) -> list[dict[str, Any]]:
    code = main(["--endpoint-url", stack.endpoint_url, "dlq", "list", dlq, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)["messages"]


@pytest.mark.parametrize("which", ["dlq", "fifo_dlq"])
def test_dlq_list_json_says_why_each_message_failed(stack, capsys, which):
    dlq = getattr(stack.resources, which)
    function = stack.resources.functions[0 if which == "dlq" else 1]

    def explained() -> list[dict[str, Any]] | None:
        messages = listed(capsys, stack, dlq.name)
        ready = [m for m in messages if m["last_error"] is not None]
        malformed = [m for m in ready if m["last_error"]["error_type"] == "JSONDecodeError"]
        return messages if ready and malformed else None

    messages = wait_until(explained, timeout=90, what=f"a non-JSON poison body in {dlq.name}")
    for message in messages:
        error = message["last_error"]
        if error is None:
            continue  # its last failure may still be in the consumer's log buffer
        assert set(error) == {"time", "level", "error_type", "message", "request_id", "log_group"}
        assert error["log_group"] == function.log_group
        assert error["level"] == "ERROR" and error["request_id"]  # Lambda's invocation ID
        assert error["error_type"] in {"JSONDecodeError", "SchemaValidationError"}
        assert error["time"].endswith("Z")
