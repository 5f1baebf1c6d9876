"""Fixtures of the handler tests: write-model commands, the products stream, views, subscribers."""

from __future__ import annotations

import boto3
import pytest

from local.resources import Resources
from local.streams import StreamReader
from shared.data.views import DynamoViewRepository
from shared.models.events import InventoryEventType, ProductEventType
from tests.stream_builders import Catalog, SubscribedQueue, catalog_for, stream_reader


@pytest.fixture
def catalog(aws: Resources) -> Catalog:
    """Admin-like commands on the write model; every one leaves real records on the stream."""
    return catalog_for(aws)


@pytest.fixture
def stream(aws: Resources) -> StreamReader:
    """The products stream, read from its start, in the shape Lambda delivers."""
    return stream_reader(aws)


@pytest.fixture
def views(aws: Resources) -> DynamoViewRepository:
    """The read views (the same table the handlers use)."""
    return DynamoViewRepository(aws.names.views_table, boto3.client("dynamodb", region_name=aws.region))


@pytest.fixture
def subscriber(aws: Resources) -> SubscribedQueue:
    """An SQS queue subscribed to the topic's inventory events: what a purchasing system receives."""
    return SubscribedQueue(aws, types=[t.value for t in InventoryEventType])


@pytest.fixture
def product_subscriber(aws: Resources) -> SubscribedQueue:
    """An SQS queue subscribed to the topic's product events: what a search indexer receives."""
    return SubscribedQueue(aws, "product-subscriber", types=[t.value for t in ProductEventType])
