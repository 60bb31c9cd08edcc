"""Hand-written SendMessageBatch answers over real sockets: the emitter counts an event sent
only when the answer plainly acknowledges it, and retries (or reports) every other one.

Each scripted answer is followed by the fault server's normal answers, which deliver.
"""

from __future__ import annotations

import json

import pytest
from edgewatch_emitter import DeliveryFailure, FlushResult

from tests.support.fault_server import FaultServer, Raw, make_emitter

MD5 = "0" * 32


def ok(i: int) -> str:
    return f'{{"Id":"{i}","MessageId":"m-{i}","MD5OfMessageBody":"{MD5}"}}'


async def emit_three_after(
    fault_server: FaultServer, answer: str
) -> tuple[FlushResult, list[DeliveryFailure]]:
    """Emit three events in one batch that ``answer`` answers first; flush, and return the
    result and what ``on_error`` was given."""
    fault_server.script.append(Raw(answer.encode()))
    failures: list[DeliveryFailure] = []
    async with make_emitter(fault_server, failures, linger_ms=50) as emitter:
        for i in range(3):
            emitter.emit({"n": i})
        result = await emitter.flush(10)
    return result, failures


ANSWERS = {
    # the whole batch retried: nothing was plainly acknowledged
    "entry missing": (f'{{"Successful":[{ok(0)},{ok(1)}]}}', [2]),
    "Failed spelled with an escape": (
        f'{{"Successful":[{ok(0)},{ok(2)}],"F\\u0061iled":'
        '[{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"x"}]}',
        [1],
    ),
    "Successful repeated, the last empty": (
        f'{{"Successful":[{ok(0)},{ok(1)},{ok(2)}],"Successful":[]}}',
        [0, 1, 2],
    ),
    "items that are strings": ('{"Successful":["0","1","2"]}', [0, 1, 2]),
    "trailing garbage": (f'{{"Successful":[{ok(0)},{ok(1)},{ok(2)}]}}<html>', [0, 1, 2]),
    "ids reordered": (f'{{"Successful":[{ok(2)},{ok(0)},{ok(1)}]}}', []),
}


@pytest.mark.parametrize("name", list(ANSWERS))
async def test_only_plainly_acknowledged_events_count_as_sent(
    fault_server: FaultServer, name: str
) -> None:
    text, resent = ANSWERS[name]
    result, failures = await emit_three_after(fault_server, text)
    assert result.complete and failures == []
    assert (result.stats.sent, result.stats.failed, result.stats.dropped) == (3, 0, 0)
    batches = fault_server.batches
    assert [len(b.payload["Entries"]) for b in batches] == [3] + ([len(resent)] if resent else [])
    # what the second request carried is exactly what the first answer left unacknowledged
    assert sorted(json.loads(b)["n"] for b in fault_server.bodies()) == resent
    assert result.stats.retried == len(resent)


async def test_a_final_failure_is_reported_not_counted_sent(fault_server: FaultServer) -> None:
    failed = '{"Id":"1","SenderFault":true,"Code":"InvalidParameterValue","Message":"bad"}'
    answer = f'{{"Successful":[{ok(0)},{ok(2)}],"Failed":[{failed}]}}'
    result, failures = await emit_three_after(fault_server, answer)
    assert (result.stats.sent, result.stats.failed) == (2, 1)
    assert [f.events for f in failures] == [({"n": 1},)]
    assert failures[0].code == "InvalidParameterValue"
