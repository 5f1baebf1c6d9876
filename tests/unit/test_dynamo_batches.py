"""Batch calls sent again for what DynamoDB left unprocessed, with a growing pause and a limit.

moto never leaves keys or items unprocessed, so the batch call here is botocore's own Stubber:
the answers are DynamoDB's documented shapes, the loop under test is ours.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from shared.data.dynamo import (
    UNPROCESSED_ATTEMPTS,
    LeftUnprocessed,
    batch_get,
    until_processed,
)

TABLE = "catalog-views"


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": name}, "sk": {"S": "VIEW"}}


def _request(*names: str) -> dict[str, Any]:
    return {TABLE: {"Keys": [_key(name) for name in names], "ConsistentRead": True}}


def test_keys_left_unprocessed_are_asked_for_again_after_a_doubling_pause() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    pauses: list[float] = []
    with Stubber(client) as stub:
        stub.add_response(
            "batch_get_item",
            {"Responses": {TABLE: [_key("a")]}, "UnprocessedKeys": _request("b", "c")},
            {"RequestItems": _request("a", "b", "c")},
        )
        stub.add_response(
            "batch_get_item",
            {"Responses": {TABLE: [_key("b")]}, "UnprocessedKeys": _request("c")},
            {"RequestItems": _request("b", "c")},
        )
        stub.add_response(
            "batch_get_item", {"Responses": {TABLE: [_key("c")]}}, {"RequestItems": _request("c")}
        )

        items = batch_get(client, TABLE, [_key(name) for name in "abc"], pause=pauses.append)

        stub.assert_no_pending_responses()
    assert items == [_key("a"), _key("b"), _key("c")]
    assert pauses == [0.05, 0.1]


def test_a_batch_still_unprocessed_after_every_attempt_fails_naming_what_is_left() -> None:
    pauses: list[float] = []
    sent: list[dict[str, Any]] = []

    def throttled(RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - the client's keyword
        sent.append(RequestItems)
        return {"UnprocessedItems": RequestItems}

    with pytest.raises(LeftUnprocessed, match="UnprocessedItems after 8 attempts: \\['catalog-views'\\]"):
        for _ in until_processed(
            throttled, {TABLE: [{"PutRequest": {"Item": _key("a")}}]}, "UnprocessedItems", pause=pauses.append
        ):
            pass

    assert len(sent) == UNPROCESSED_ATTEMPTS
    assert pauses == [0.05 * 2**n for n in range(UNPROCESSED_ATTEMPTS - 1)]


def test_a_fully_processed_batch_is_sent_once_without_a_pause() -> None:
    pauses: list[float] = []
    answers = list(
        until_processed(
            lambda **_: {"UnprocessedItems": {}}, {TABLE: []}, "UnprocessedItems", pause=pauses.append
        )
    )

    assert (len(answers), pauses) == (1, [])
