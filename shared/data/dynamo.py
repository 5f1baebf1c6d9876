"""DynamoDB attribute-value conversion and client construction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Short timeouts and standard retries: a Lambda behind API Gateway has 29 s at most.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


def paginate(call: Callable[..., Any], arguments: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every raw item of a Scan or Query (``call``), following ``LastEvaluatedKey`` to the end."""
    arguments = dict(arguments)
    while True:
        response = call(**arguments)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def to_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    """Serialize a plain dict (Decimal numbers, no floats) into DynamoDB attribute values."""
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def from_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialize DynamoDB attribute values; whole numbers become ``int``, others stay ``Decimal``."""
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


@cache
def dynamodb_client() -> DynamoDBClient:
    """The process-wide DynamoDB client, created on first use."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)
