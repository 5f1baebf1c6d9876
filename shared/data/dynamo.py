"""DynamoDB attribute-value conversion and client construction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from pydantic import BaseModel

from shared.models.product import parse_json

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ModelT = TypeVar("ModelT", bound=BaseModel)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# DynamoDB's limits: keys per BatchGetItem, actions per TransactWriteItems.
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100

# What a batch call leaves unprocessed (throttling, its size limits) is sent again after a pause
# that doubles from 50 ms, as AWS advises; after eight attempts (about 6 s of pauses) the call
# fails instead of spinning on a throttled table.
UNPROCESSED_ATTEMPTS = 8
UNPROCESSED_FIRST_PAUSE_SECONDS = 0.05

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


class LeftUnprocessed(RuntimeError):
    """DynamoDB still left part of a batch call unprocessed after :data:`UNPROCESSED_ATTEMPTS`."""


def until_processed(
    send: Callable[..., Mapping[str, Any]],
    request_items: dict[str, Any],
    leftover: str,
    *,
    pause: Callable[[float], None] = time.sleep,
) -> Iterator[Mapping[str, Any]]:
    """Each answer to a batch call (``send(RequestItems=...)``), sent again for what it left in ``leftover``.

    ``send`` is a client's ``batch_get_item`` (``leftover`` is ``UnprocessedKeys``) or
    ``batch_write_item`` (``UnprocessedItems``).

    Raises
    ------
    LeftUnprocessed
        When requests are still unprocessed after :data:`UNPROCESSED_ATTEMPTS` attempts.
    """
    pending = request_items
    for attempt in range(UNPROCESSED_ATTEMPTS):
        if attempt:
            pause(UNPROCESSED_FIRST_PAUSE_SECONDS * 2 ** (attempt - 1))
        response = send(RequestItems=pending)
        yield response
        pending = dict(response.get(leftover) or {})
        if not pending:
            return
    raise LeftUnprocessed(f"DynamoDB left {leftover} after {UNPROCESSED_ATTEMPTS} attempts: {list(pending)}")


def batch_get(
    client: DynamoDBClient,
    table: str,
    keys: list[dict[str, Any]],
    *,
    pause: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The raw items of ``table`` at ``keys`` (strongly consistent), in no particular order.

    One BatchGetItem per 100 keys, sent again (:func:`until_processed`) for any keys DynamoDB left
    unprocessed; keys with no item are simply absent from the answer.
    """
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request = {table: {"Keys": keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": True}}
        for response in until_processed(client.batch_get_item, request, "UnprocessedKeys", pause=pause):
            items += response.get("Responses", {}).get(table, [])
    return items


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


def document_text(model: BaseModel, exclude: set[str] | None = None) -> str:
    """A model as the JSON text a document attribute stores (a string, not a nested map).

    A document is written and read whole, never filtered or updated in part, so one string
    attribute holds it: DynamoDB's size is the same, but no client or server has to walk a
    nested map of typed attribute values to write or read it (decision 66).
    """
    return model.model_dump_json(exclude=exclude)


def read_document(model: type[ModelT], stored: str | Mapping[str, Any]) -> ModelT:
    """Validate a stored document: JSON text, or the nested map items written before decision 66.

    Numbers are parsed as ``Decimal``, as request bodies are, so prices come back exact.
    """
    return model.model_validate(parse_json(stored) if isinstance(stored, str) else stored)


@cache
def dynamodb_client() -> DynamoDBClient:
    """The process-wide DynamoDB client, created on first use."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)
