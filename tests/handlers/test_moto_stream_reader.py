"""The local runtime's stream reader (moto's shard, in process) against GetRecords through boto3."""

from __future__ import annotations

import boto3

from local.moto_probes import MotoStreamReader
from local.resources import Resources
from local.streams import StreamReader


def _write_every_kind_of_change(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": "PRODUCT#1"},
            "version": {"N": "1"},
            "price": {"N": "19.99"},
            "blob": {"B": b"\x00\xffbytes"},
            "tags": {"SS": ["a", "b"]},
            "doc": {"M": {"nested": {"L": [{"S": "x"}, {"N": "2"}, {"BOOL": True}, {"NULL": True}]}}},
        },
    )
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "PRODUCT#1"}},
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": f"PRODUCT#{n}"}}}} for n in (2, 3)]
    )
    client.delete_item(TableName=table, Key={"pk": {"S": "PRODUCT#2"}})


def test_the_in_process_reader_returns_what_get_records_returns_record_for_record(aws: Resources) -> None:
    _write_every_kind_of_change(aws)
    over_the_api = StreamReader.for_table(aws.names.products_table, region=aws.region)
    in_process = MotoStreamReader(
        aws.names.products_table, stream_arn=over_the_api.stream_arn, region=aws.region
    )

    expected = over_the_api.read_new()
    read = in_process.read_new()

    assert [r["eventName"] for r in read] == ["INSERT", "MODIFY", "INSERT", "INSERT", "REMOVE"]
    assert read == expected


def test_the_in_process_reader_returns_each_record_once_and_says_when_more_wait(aws: Resources) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.names.products_table
    arn = StreamReader.for_table(table, region=aws.region).stream_arn
    reader = MotoStreamReader(table, stream_arn=arn, region=aws.region)
    client.put_item(TableName=table, Item={"pk": {"S": "PRODUCT#1"}})

    assert (reader.unread(), reader.has_unread()) == (1, True)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in reader.read_new()] == ["PRODUCT#1"]
    assert (reader.unread(), reader.has_unread(), reader.read_new()) == (0, False, [])
    client.put_item(TableName=table, Item={"pk": {"S": "PRODUCT#2"}})
    client.put_item(TableName=table, Item={"pk": {"S": "PRODUCT#3"}})
    assert reader.unread() == 2
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in reader.read_new()] == ["PRODUCT#2", "PRODUCT#3"]
