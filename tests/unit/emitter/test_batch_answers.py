"""The fast reading of a SendMessageBatch answer never calls an entry sent that the full
classification would not.

The answers are written by hand from the SQS JSON protocol's documented shape (``Successful``
items with ``Id``, ``MessageId``, ``MD5OfMessageBody``; ``Failed`` items with ``Id``,
``SenderFault``, ``Code``, ``Message``), then bent: reordered, repeated, mistyped, escaped,
truncated. For each one the answer is classified as the emitter does it, and, independently,
with ``json.loads`` and ``classify_batch``.
"""

from __future__ import annotations

import json

import pytest
from edgewatch_emitter.batch import classify_batch
from edgewatch_emitter.credentials import CredentialSource
from edgewatch_emitter.sqs_json import SqsJsonClient

IDS = ["0", "1", "2"]
OK0 = '{"Id":"0","MessageId":"5fea7756-0ea4-451a-a703-a558b933e274","MD5OfMessageBody":"fafb00f5732ab283681e124bf8747ed1"}'  # noqa: E501
OK1 = '{"Id":"1","MessageId":"a8f6c1a2-1b5c-4c1e-9b7e-2f1d9d3c9a10","MD5OfMessageBody":"0e024d8e7a1b4c3d9f2a6b5c4d3e2f1a"}'  # noqa: E501
OK2 = '{"Id":"2","MessageId":"c1d2e3f4-0a1b-4c2d-8e3f-4a5b6c7d8e9f","MD5OfMessageBody":"9b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"}'  # noqa: E501
FAIL1 = '{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"try again"}'
FAIL1_SENDER = '{"Id":"1","SenderFault":true,"Code":"InvalidParameterValue","Message":"bad"}'

# (name, answer, every entry plainly sent?)
ANSWERS = [
    ("compact", f'{{"Successful":[{OK0},{OK1},{OK2}]}}', True),
    ("with an empty Failed", f'{{"Successful":[{OK0},{OK1},{OK2}],"Failed":[]}}', True),
    ("Failed first", f'{{"Failed":[],"Successful":[{OK0},{OK1},{OK2}]}}', True),
    ("Failed null", f'{{"Successful":[{OK0},{OK1},{OK2}],"Failed":null}}', True),
    (
        "pretty-printed, keys reordered",
        json.dumps(
            {
                "Failed": [],
                "Successful": [
                    {"MD5OfMessageBody": "x", "MessageId": "m", "Id": i} for i in IDS
                ],
            },
            indent=3,
        ),
        True,
    ),
    ("UTF-8 BOM", "\ufeff" + f'{{"Successful":[{OK0},{OK1},{OK2}]}}', True),
    ("trailing newline", f'{{"Successful":[{OK0},{OK1},{OK2}]}}\n', True),
    ("one retryable failure", f'{{"Successful":[{OK0},{OK2}],"Failed":[{FAIL1}]}}', False),
    ("one final failure", f'{{"Successful":[{OK0},{OK2}],"Failed":[{FAIL1_SENDER}]}}', False),
    ("an entry both sent and failed", f'{{"Successful":[{OK0},{OK1},{OK2}],"Failed":[{FAIL1}]}}', False),  # noqa: E501
    ("Failed spelled with an escape", f'{{"Successful":[{OK0},{OK1},{OK2}],"F\\u0061iled":[{FAIL1}]}}', False),  # noqa: E501
    ("Failed as an object", f'{{"Successful":[{OK0},{OK1},{OK2}],"Failed":{FAIL1}}}', False),
    ("an entry missing", f'{{"Successful":[{OK0},{OK2}]}}', False),
    ("an id repeated", f'{{"Successful":[{OK0},{OK0},{OK2}]}}', False),
    ("ids reordered", f'{{"Successful":[{OK1},{OK0},{OK2}]}}', False),
    ("an extra id", f'{{"Successful":[{OK0},{OK1},{OK2},{OK2.replace(chr(34) + "2", chr(34) + "3", 1)}]}}', False),  # noqa: E501
    ("ids as numbers", '{"Successful":[{"Id":0},{"Id":1},{"Id":2}]}', False),
    ("an id with a space", f'{{"Successful":[{OK0},{OK1},{OK2.replace(chr(34) + "2", chr(34) + "2 ", 1)}]}}', False),  # noqa: E501
    ("an id key repeated", '{"Successful":[{"Id":"0"},{"Id":"1","Id":"3"},{"Id":"2"}]}', False),
    ("Successful repeated, the last empty", f'{{"Successful":[{OK0},{OK1},{OK2}],"Successful":[]}}', False),  # noqa: E501
    ("Successful nested one level down", f'{{"Result":{{"Successful":[{OK0},{OK1},{OK2}]}}}}', False),  # noqa: E501
    ("items that are strings", '{"Successful":["0","1","2"]}', False),
    ("Successful as an object", f'{{"Successful":{OK0}}}', False),
    ("empty object", "{}", False),
]

# Answers that are not one JSON object: the whole request is retried.
NOT_JSON = [
    ("truncated", f'{{"Successful":[{OK0},{OK1},{OK2}'),
    ("trailing garbage", f'{{"Successful":[{OK0},{OK1},{OK2}]}}garbage'),
    ("two objects", f'{{"Successful":[{OK0},{OK1},{OK2}]}}{{"Failed":[{FAIL1}]}}'),
    ("an array", f"[{OK0},{OK1},{OK2}]"),
    ("HTML", "<html><body>502 Bad Gateway</body></html>"),
    ("invalid UTF-8", '{"Successful":[]}'.replace("[]", '["\xff"]')),
    ("empty", ""),
]


def client() -> SqsJsonClient:
    return SqsJsonClient(
        queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/events",
        endpoint_url="https://sqs.eu-west-1.amazonaws.com",
        region="eu-west-1",
        credentials=CredentialSource(("AKIDEXAMPLE", "secret")),
        http=None,
        timeout_s=5.0,
    )


@pytest.mark.parametrize(("name", "text", "plainly_sent"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_fast_reading_agrees_with_the_full_classification(
    name: str, text: str, plainly_sent: bool
) -> None:
    content = text.encode("utf-8")
    answer = client()._classify(200, None, content, len(IDS))
    assert answer.verdict == "ok"
    assert answer.all_sent is plainly_sent
    reference = classify_batch(IDS, json.loads(content))
    if answer.all_sent:  # the one thing that must never be wrong
        assert list(reference.succeeded) == IDS
        assert (reference.rejected, reference.retryable, reference.unanswered) == ([], [], [])


@pytest.mark.parametrize(("name", "text"), NOT_JSON, ids=[a[0] for a in NOT_JSON])
def test_an_answer_that_is_not_one_json_object_is_retried(name: str, text: str) -> None:
    content = text.encode("latin-1") if name == "invalid UTF-8" else text.encode()
    answer = client()._classify(200, None, content, len(IDS))
    if name == "empty":  # no content: an empty payload, nothing acknowledged
        assert answer.verdict == "ok" and not answer.all_sent
        return
    assert (answer.verdict, answer.all_sent, answer.code) == ("retry", False, "HTTP200")


def test_a_non_batch_call_is_never_marked_all_sent() -> None:
    content = f'{{"Successful":[{OK0},{OK1},{OK2}]}}'.encode()
    assert client()._classify(200, None, content).all_sent is False
    assert client()._classify(500, None, content, 3).verdict == "retry"
