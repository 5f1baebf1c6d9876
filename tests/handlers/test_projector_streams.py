"""The stream reader and the projector's handling of failed view writes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.resources import Resources
from local.streams import StreamReader, batches, lambda_record
from shared.data.dynamo import dynamodb_client
from shared.data.views import DynamoViewRepository
from tests.stream_builders import (
    Catalog,
    SubscribedQueue,
    failed_identifiers,
    invoke_projector,
    product_records,
)


def test_the_reader_returns_each_record_once_in_stream_order(catalog: Catalog, stream: StreamReader) -> None:
    item = catalog.create(inventory=5)
    first = stream.read_new()
    catalog.adjust(item.id, delta=1)
    catalog.adjust(item.id, delta=1)
    second = stream.read_new()

    assert [r["eventName"] for r in first] == ["INSERT", "INSERT"]
    assert [r["eventName"] for r in second] == ["MODIFY", "MODIFY"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in first + second]
    assert sequence == sorted(set(sequence))
    assert stream.read_new() == []


def test_a_reader_started_at_latest_sees_only_later_records(aws: Resources, catalog: Catalog) -> None:
    catalog.create(sku="OLD-1")
    reader = StreamReader.for_table(aws.names.products_table, region=aws.region, start="LATEST")
    assert reader.read_new() == []

    catalog.create(sku="NEW-1")

    records = product_records(reader.read_new())
    assert [r["dynamodb"]["NewImage"]["sku"]["S"] for r in records] == ["NEW-1"]


def test_binary_attributes_are_base64_text_as_in_lambda_events() -> None:
    raw = {
        "eventID": "1",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"B": b"\x00\x01"}}, "SequenceNumber": "7"},
    }
    shaped = lambda_record(raw, stream_arn="arn:stream", region="eu-west-1")
    assert shaped["dynamodb"]["Keys"]["pk"]["B"] == "AAE="
    assert (shaped["eventVersion"], shaped["awsRegion"], shaped["eventSourceARN"]) == (
        "1.1",
        "eu-west-1",
        "arn:stream",
    )


def test_batches_keep_order_and_size() -> None:
    assert [len(b) for b in batches([{"n": i} for i in range(7)], 3)] == [3, 3, 1]
    with pytest.raises(ValueError, match="at least 1"):
        list(batches([], 0))


def test_a_failed_view_write_fails_only_its_record_and_publishes_nothing_for_it(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue, views: DynamoViewRepository
) -> None:
    healthy = catalog.create(inventory=3, category="kitchen")
    broken = catalog.create(inventory=4, category="garden")
    batch = stream.read_new()
    broken_record = next(
        r for r in product_records(batch) if r["dynamodb"]["Keys"]["pk"]["S"].endswith(broken.id)
    )

    broken_sequence = broken_record["dynamodb"]["SequenceNumber"]

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if any(broken.id in str(action) for action in params["TransactItems"]):
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "boom"}}, "TransactWriteItems"
            )

    dynamodb_client().meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", refuse)
    response = invoke_projector(batch)

    assert failed_identifiers(response) == [broken_record["dynamodb"]["SequenceNumber"]]
    assert [m["event"]["subject"] for m in subscriber.receive_all()] == [healthy.id]
    assert views.stored_counts() == {"kitchen": 1}

    dynamodb_client().meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", refuse)
    assert (
        failed_identifiers(
            invoke_projector(
                [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(broken_sequence)]
            )
        )
        == []
    )
    assert views.stored_counts() == {"kitchen": 1, "garden": 1}


def test_a_batch_whose_every_view_write_fails_is_retried_whole(
    aws: Resources, catalog: Catalog, stream: StreamReader
) -> None:
    catalog.create()
    records = product_records(stream.read_new())

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "GetItem")

    for operation in ("GetItem", "BatchGetItem"):  # the one-by-one path reads with GetItem
        dynamodb_client().meta.events.register(f"before-call.dynamodb.{operation}", refuse)

    with pytest.raises(Exception, match="All records failed"):
        invoke_projector(records)
    assert (
        boto3.client("dynamodb", region_name=aws.region).scan(TableName=aws.names.views_table)["Count"] == 0
    )
