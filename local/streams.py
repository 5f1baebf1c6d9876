"""DynamoDB stream records exactly as Lambda delivers them, read from a (moto) table's stream.

``GetRecords`` (through boto3) and Lambda's event source mapping describe the same change in two
shapes. This module turns the first into the second, so the projector runs on the exact event
Lambda would give it, in tests, benchmarks and the local runtime's stream poller:

* ``eventSourceARN`` is added (GetRecords records lack it);
* ``awsRegion`` is the configured region (moto always says ``us-east-1``);
* ``dynamodb.ApproximateCreationDateTime`` is epoch seconds, a number (boto3 parses a datetime);
* ``eventVersion`` is ``1.1`` and binary attribute values are base64 text, as in Lambda's JSON.

Typical use::

    reader = StreamReader.for_table("catalog-products", region="us-west-1")
    records = reader.read_new()               # every record written since the last call
    for batch in batches(records, size=100):
        handler(lambda_event(batch), context)
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

LAMBDA_EVENT_VERSION = "1.1"
StartingPosition = Literal["TRIM_HORIZON", "LATEST"]

# botocore sends stream calls to account-based endpoints (<account>.streams-ddb...), which moto's
# in-process mock does not serve; the regional endpoint works for moto and AWS alike.
_STREAMS_CONFIG = Config(account_id_endpoint_mode="disabled", retries={"mode": "standard", "max_attempts": 3})


def streams_client(region: str, endpoint_url: str | None = None) -> DynamoDBStreamsClient:
    """A DynamoDB Streams client that works in-process under moto and against a moto server."""
    return boto3.client(
        "dynamodbstreams", region_name=region, endpoint_url=endpoint_url, config=_STREAMS_CONFIG
    )


def _epoch_seconds(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def _json_attribute_value(value: Any) -> Any:
    # Lambda's JSON event carries B/BS as base64 text; boto3 hands us bytes.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {key: _json_attribute_value(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_json_attribute_value(inner) for inner in value]
    return value


def lambda_record(record: Mapping[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """Reshape one record as ``GetRecords`` returns it into the record Lambda delivers.

    Parameters
    ----------
    record
        One element of ``GetRecords``' ``Records`` (boto3 output).
    stream_arn
        The stream's ARN, delivered as ``eventSourceARN``.
    region
        The region the function runs in, delivered as ``awsRegion``.
    """
    body = {key: _json_attribute_value(value) for key, value in record["dynamodb"].items()}
    if "ApproximateCreationDateTime" in body:
        body["ApproximateCreationDateTime"] = _epoch_seconds(
            record["dynamodb"]["ApproximateCreationDateTime"]
        )
    shaped: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": LAMBDA_EVENT_VERSION,
        "eventSource": record.get("eventSource", "aws:dynamodb"),
        "awsRegion": region,
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        shaped["userIdentity"] = dict(record["userIdentity"])
    return shaped


def lambda_event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The event Lambda passes the function for one batch of (already shaped) records."""
    return {"Records": [dict(record) for record in records]}


def batches(records: Sequence[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    """Split records into consecutive batches of at most ``size``, keeping stream order."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(records), size):
        yield list(records[start : start + size])


class StreamReader:
    """Reads the records a table's stream gained since the last read, shaped as Lambda delivers them.

    The reader remembers, per shard, the last sequence number it returned, and asks for an
    ``AFTER_SEQUENCE_NUMBER`` iterator on the next read, so it never returns a record twice and
    never holds an iterator long enough for it to expire. Shards are read in the order
    ``DescribeStream`` lists them (parents before children), each one in sequence order.
    """

    def __init__(
        self,
        stream_arn: str,
        *,
        region: str,
        client: DynamoDBStreamsClient | None = None,
        start: StartingPosition = "TRIM_HORIZON",
        page_size: int = 1000,
    ) -> None:
        self.stream_arn = stream_arn
        self.region = region
        self._client = client or streams_client(region)
        self._page_size = page_size
        self._positions: dict[str, str] = {}
        # Shards pinned at LATEST that have not yielded a record yet: where to resume them.
        self._pinned: dict[str, str | None] = {}
        if start == "LATEST":
            for shard_id in self._shard_ids():
                self._pinned[shard_id] = self._iterator(shard_id, "LATEST")

    @classmethod
    def for_table(
        cls,
        table_name: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        dynamodb: DynamoDBClient | None = None,
        start: StartingPosition = "TRIM_HORIZON",
    ) -> StreamReader:
        """A reader of ``table_name``'s current stream."""
        tables = dynamodb or boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        stream_arn = tables.describe_table(TableName=table_name)["Table"].get("LatestStreamArn")
        if not stream_arn:
            raise ValueError(f"table {table_name} has no stream")
        return cls(stream_arn, region=region, client=streams_client(region, endpoint_url), start=start)

    def read_new(self) -> list[dict[str, Any]]:
        """Every record added since the previous call (the first call: since ``start``)."""
        records: list[dict[str, Any]] = []
        for shard_id in self._shard_ids():
            if shard_id in self._positions:
                iterator = self._iterator(shard_id, "AFTER_SEQUENCE_NUMBER", self._positions[shard_id])
            elif shard_id in self._pinned:
                iterator = self._pinned[shard_id]
            else:
                iterator = self._iterator(shard_id, "TRIM_HORIZON")
            shard_records, resume = self._drain(iterator, shard_id)
            if shard_id not in self._positions:
                # Still nothing read from this shard: keep the iterator, not the shard's start.
                self._pinned[shard_id] = resume
            records += shard_records
        return records

    def _shard_ids(self) -> list[str]:
        shards: list[str] = []
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self._client.describe_stream(**arguments)["StreamDescription"]
            shards += [shard["ShardId"] for shard in description.get("Shards", [])]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            arguments["ExclusiveStartShardId"] = last

    def _iterator(self, shard_id: str, kind: str, sequence_number: str | None = None) -> str | None:
        arguments: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if sequence_number is not None:
            arguments["SequenceNumber"] = sequence_number
        return self._client.get_shard_iterator(**arguments).get("ShardIterator")

    def _drain(self, iterator: str | None, shard_id: str) -> tuple[list[dict[str, Any]], str | None]:
        records: list[dict[str, Any]] = []
        while iterator:
            response = self._client.get_records(ShardIterator=iterator, Limit=self._page_size)
            page = response.get("Records", [])
            next_iterator = response.get("NextShardIterator")
            if not page:
                return records, next_iterator
            self._positions[shard_id] = page[-1]["dynamodb"]["SequenceNumber"]
            records += [lambda_record(r, stream_arn=self.stream_arn, region=self.region) for r in page]
            iterator = next_iterator
        return records, None
