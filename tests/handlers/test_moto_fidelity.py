"""moto, patched to behave like DynamoDB: a cancelled transaction leaves no item and no stream record."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.parse import JSONParser

from local.moto_fidelity import FairRequestLock, UnsupportedMotoVersion, check_moto_version
from local.resources import Resources
from local.streams import StreamReader


def test_cancelled_transaction_writes_nothing_and_streams_nothing(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    client.put_item(TableName=table, Item={"pk": {"S": "SKU#TAKEN"}, "product_id": {"S": "other"}})
    reader = StreamReader.for_table(table, region=aws.region)
    reader.read_new()

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "PRODUCT#1"}, "version": {"N": "1"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "SKU#TAKEN"}, "product_id": {"S": "1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    keys = sorted(item["pk"]["S"] for item in client.scan(TableName=table)["Items"])
    assert keys == ["SKU#TAKEN"]
    guard = client.get_item(TableName=table, Key={"pk": {"S": "SKU#TAKEN"}})["Item"]
    assert guard["product_id"] == {"S": "other"}
    assert reader.read_new() == []


def test_committed_transaction_writes_every_item_and_streams_each(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    reader = StreamReader.for_table(table, region=aws.region)

    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": f"PRODUCT#{n}"}}}} for n in range(3)]
    )

    assert len(client.scan(TableName=table)["Items"]) == 3
    assert [r["eventName"] for r in reader.read_new()] == ["INSERT"] * 3


def test_the_installed_moto_is_the_version_the_patches_were_written_for() -> None:
    check_moto_version()


@pytest.mark.parametrize("other", ["5.1.9", "5.3.0", "6.0.0"])
def test_another_moto_minor_version_is_refused_with_the_versions_named(other: str) -> None:
    with pytest.raises(UnsupportedMotoVersion, match=rf"moto 5\.2\.x internals, but moto {re.escape(other)}"):
        check_moto_version(other)


def _item_of(payload_bytes: int) -> dict[str, dict[str, object]]:
    # A nested map, as a view's public document is: its size counts keys and values inside.
    return {"pk": {"S": "PRODUCT#BIG"}, "public": {"M": {"description": {"S": "x" * payload_bytes}}}}


def test_an_item_over_the_size_limit_is_refused_and_not_stored(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=table, Item=_item_of(405_000))

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size has exceeded the maximum allowed size" in raised.value.response["Error"]["Message"]
    assert client.scan(TableName=table)["Items"] == []


def test_an_item_just_under_the_size_limit_is_stored_whole(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table

    client.put_item(TableName=table, Item=_item_of(404_000))

    stored = client.get_item(TableName=table, Key={"pk": {"S": "PRODUCT#BIG"}})["Item"]
    assert stored == _item_of(404_000)


def test_a_cancelled_transaction_restores_the_items_it_named_and_leaves_their_partition_alone(
    aws: Resources,
) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.views_table  # partition and sort key: items share partitions
    for sk, label in (("A", "kept"), ("B", "before")):
        client.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": sk}, "label": {"S": label}})

    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "P"}, "sk": {"S": "B"}, "label": {"S": "after"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "P"}, "sk": {"S": "C"}, "label": {"S": "new"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "Q"}, "sk": {"S": "A"}, "label": {"S": "new"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "P"}, "sk": {"S": "A"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    stored = {(i["pk"]["S"], i["sk"]["S"]): i["label"]["S"] for i in client.scan(TableName=table)["Items"]}
    assert stored == {("P", "A"): "kept", ("P", "B"): "before"}


def test_a_receive_still_drops_messages_past_the_queues_retention_period(aws: Resources) -> None:
    from moto.sqs.models import sqs_backends

    sqs = boto3.client("sqs", region_name=aws.region)
    queues = {
        body: sqs.create_queue(QueueName=body, Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        for body in ("expired", "fresh")
    }
    for body, queue in queues.items():
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    account = queues["expired"].rstrip("/").split("/")[-2]
    (message,) = sqs_backends[account][aws.region].get_queue("expired")._messages
    # 61 s ago: past the 60 s retention (moto declares the attribute None until a message is sent)
    message.sent_timestamp = int(message.sent_timestamp or 0) - 61_000  # type: ignore[assignment]

    received = {
        body: [m["Body"] for m in sqs.receive_message(QueueUrl=queue).get("Messages", [])]
        for body, queue in queues.items()
    }

    assert received == {"expired": [], "fresh": ["fresh"]}


def _every_attribute_type(pk: str) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "number": {"N": "12.50"},
        "binary": {"B": b"\x00\xff"},
        "strings": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "binaries": {"BS": [b"\x01", b"\x02"]},
        "flag": {"BOOL": False},
        "nothing": {"NULL": True},
        "doc": {"M": {"list": {"L": [{"S": "é"}, {"N": "-3"}, {"M": {}}]}}},
    }


def test_item_answers_written_as_json_carry_every_attribute_type_unchanged(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    plain: dict[str, Any] = {
        "pk": {"S": "PLAIN"},
        "doc": {"M": {"name": {"S": "caf\u00e9 \u2615"}, "n": {"N": "1E+2"}}},
    }
    for item in (_every_attribute_type("TYPED"), plain):
        client.put_item(TableName=table, Item=item)

    got = {
        key: client.get_item(TableName=table, Key={"pk": {"S": key}})["Item"] for key in ("TYPED", "PLAIN")
    }
    updated = client.update_item(
        TableName=table,
        Key={"pk": {"S": "PLAIN"}},
        UpdateExpression="SET flag = :f",
        ExpressionAttributeValues={":f": {"BOOL": True}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    first_page = client.scan(TableName=table, Limit=1)

    assert got == {"TYPED": _every_attribute_type("TYPED"), "PLAIN": plain}
    assert updated == {**plain, "flag": {"BOOL": True}}
    assert (first_page["Count"], first_page["ScannedCount"]) == (1, 1)
    assert set(first_page["LastEvaluatedKey"]) == {"pk"}


@pytest.fixture
def moto_parses() -> Iterator[list[str]]:
    """The operations whose request body went through moto's model-walking parser."""
    parsed: list[str] = []
    original = JSONParser._do_parse

    def counting(self: JSONParser, request_dict: Any, shape: Any) -> Any:
        parsed.append(self.operation_model.name)
        return original(self, request_dict, shape)  # type: ignore[no-untyped-call]

    with patch.object(JSONParser, "_do_parse", counting):
        yield parsed


def test_item_requests_read_as_json_store_and_condition_every_attribute_type(
    aws: Resources, moto_parses: list[str]
) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    item = {
        key: value
        for key, value in _every_attribute_type("JSON").items()
        if key not in {"binary", "binaries"}
    }
    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "JSON"}},
                    "UpdateExpression": "SET flag = :yes",
                    "ConditionExpression": "numbers = :numbers AND doc.#list[0] = :first",
                    "ExpressionAttributeNames": {"#list": "list"},
                    "ExpressionAttributeValues": {
                        ":yes": {"BOOL": True},
                        ":numbers": {"NS": ["2.5", "1"]},
                        ":first": {"S": "é"},
                    },
                }
            }
        ]
    )
    stored = client.get_item(TableName=table, Key={"pk": {"S": "JSON"}}, ConsistentRead=True)["Item"]

    assert stored == {**item, "flag": {"BOOL": True}}
    assert moto_parses == []


def test_a_request_holding_binary_values_keeps_motos_parser(aws: Resources, moto_parses: list[str]) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    client.put_item(TableName=table, Item=_every_attribute_type("BYTES"))

    stored = client.get_item(TableName=table, Key={"pk": {"S": "BYTES"}})["Item"]

    assert stored == _every_attribute_type("BYTES")
    assert moto_parses == ["PutItem"]


def _queued(lock: FairRequestLock, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(lock._waiting) < count:  # the threads have asked, in the order they were started
        assert time.monotonic() < deadline, "the waiting threads never queued"
        time.sleep(0.001)


def test_the_request_lock_is_reentrant_and_granted_in_arrival_order() -> None:
    lock, granted = FairRequestLock(), []

    def take(name: str) -> None:
        with lock:
            granted.append(name)

    with lock, lock:  # reentrant: a request that makes a request of its own does not deadlock
        waiters = [threading.Thread(target=take, args=(name,)) for name in ("first", "second")]
        for count, waiter in enumerate(waiters, start=1):
            waiter.start()
            _queued(lock, count)
    for waiter in waiters:
        waiter.join(5)

    assert granted == ["first", "second"]


def test_a_thread_that_releases_the_request_lock_and_asks_again_waits_its_turn() -> None:
    lock, granted = FairRequestLock(), []

    def wait_for_turn() -> None:
        with lock:
            granted.append("waiter")

    waiter = threading.Thread(target=wait_for_turn)

    with lock:
        waiter.start()
        _queued(lock, 1)
    with lock:  # straight back, as a projector writing transaction after transaction would
        granted.append("releaser")
    waiter.join(5)

    assert granted == ["waiter", "releaser"]


def test_one_update_expression_text_applies_each_requests_own_values_and_names(aws: Resources) -> None:
    # The parsed expression is shared between requests: neither request may see the other's values.
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    expression = "SET #field = :value ADD tally :step"
    for key, field, value, step in (("FIRST", "colour", "red", "1"), ("SECOND", "size", "XL", "5")):
        for _ in range(2):
            client.update_item(
                TableName=table,
                Key={"pk": {"S": key}},
                UpdateExpression=expression,
                ExpressionAttributeNames={"#field": field},
                ExpressionAttributeValues={":value": {"S": value}, ":step": {"N": step}},
            )
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "FIRST"}},
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": {"#field": "shape"},
                    "ExpressionAttributeValues": {":value": {"S": "round"}, ":step": {"N": "-2"}},
                }
            }
        ]
    )
    stored = {
        key: client.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
        for key in ("FIRST", "SECOND")
    }

    assert stored == {
        "FIRST": {"pk": {"S": "FIRST"}, "colour": {"S": "red"}, "shape": {"S": "round"}, "tally": {"N": "0"}},
        "SECOND": {"pk": {"S": "SECOND"}, "size": {"S": "XL"}, "tally": {"N": "10"}},
    }


def test_an_invalid_update_expression_is_refused_every_time_and_writes_nothing(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    errors = []
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": "BROKEN"}},
                UpdateExpression="SET = :value",
                ExpressionAttributeValues={":value": {"S": "x"}},
            )
        errors.append(refused.value.response["Error"]["Code"])

    assert errors == ["ValidationException", "ValidationException"]
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "BROKEN"}})


def test_the_lookups_computed_once_answer_what_moto_computes_each_time() -> None:
    import inspect

    import moto
    from moto import backends
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    package = Path(moto.__file__).parent
    modules = {
        entry.name for entry in package.iterdir() if entry.is_dir() and not entry.name.startswith("__")
    }
    methods = [name for name, _ in inspect.getmembers(DynamoHandler, predicate=inspect.isfunction)]

    assert set(backends.list_of_moto_modules()) == modules
    assert list(backends.list_of_moto_modules()) == sorted(modules)  # readable twice, in moto's order
    assert responses.method_names_from_class(DynamoHandler) == methods  # type: ignore[attr-defined]


def test_one_condition_applies_to_each_item_on_its_own_however_often_it_is_sent(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    for key, version in (("AT-ONE", "1"), ("AT-TWO", "2")):
        client.put_item(TableName=table, Item={"pk": {"S": key}, "version": {"N": version}})

    outcomes = []
    for key in ("AT-ONE", "AT-TWO", "AT-ONE", "NEW", "NEW"):
        for condition, values in (
            ("version = :expected", {":expected": {"N": "1"}}),
            ("version = :expected", {":expected": {"N": "2"}}),
            ("attribute_not_exists(pk)", None),
        ):
            extra: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
            try:
                client.put_item(
                    TableName=table,
                    Item={"pk": {"S": key}, "version": {"N": "1"}},
                    ConditionExpression=condition,
                    **extra,
                )
                outcomes.append("written")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

    refused = "ConditionalCheckFailedException"
    # Each put that passes writes version 1; NEW is created once, then exists.
    assert outcomes == [
        *("written", refused, refused),  # AT-ONE at 1
        *(refused, "written", refused),  # AT-TWO at 2, then 1
        *("written", refused, refused),  # AT-ONE at 1
        *(refused, refused, "written"),  # NEW: absent
        *("written", refused, refused),  # NEW at 1
    ]


def test_the_values_a_condition_uses_count_as_used_every_time_it_is_sent(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    client.put_item(TableName=table, Item={"pk": {"S": "USED"}, "version": {"N": "1"}})
    condition: dict[str, Any] = {
        "ConditionExpression": "version = :expected",
        "UpdateExpression": "SET colour = :colour",
    }
    values = {":expected": {"N": "1"}, ":colour": {"S": "red"}}

    for _ in range(3):  # :expected appears in the condition only
        client.update_item(
            TableName=table, Key={"pk": {"S": "USED"}}, ExpressionAttributeValues=values, **condition
        )
    refusals = []
    for _ in range(3):
        with pytest.raises(ClientError, match="unused in expressions") as refused:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": "USED"}},
                ExpressionAttributeValues={**values, ":unused": {"S": "x"}},
                **condition,
            )
        refusals.append(refused.value.response["Error"]["Code"])

    assert refusals == ["ValidationException"] * 3
    stored = client.get_item(TableName=table, Key={"pk": {"S": "USED"}}, ConsistentRead=True)["Item"]
    assert stored == {"pk": {"S": "USED"}, "version": {"N": "1"}, "colour": {"S": "red"}}
