"""Builders for stream tests: write-model commands that produce real stream records, and a
projector fed with those records exactly as Lambda delivers them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3

from local.apigw import LocalLambdaContext
from local.resources import Resources, table_definition
from local.streams import StreamReader, lambda_event
from shared.data.products import DynamoProductStore, StockChange
from shared.data.views import DynamoViewRepository
from shared.models.product import ChangeRecord, Product, ProductStatus, StoredImage
from shared.tables import VIEWS, image_key

_ids = itertools.count(1)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def new_product_id() -> str:
    """A 26-character, time-ordered, ULID-shaped id: later calls sort after earlier ones."""
    number = next(_ids)
    digits = []
    for _ in range(16):
        number, digit = divmod(number, 32)
        digits.append(_CROCKFORD[digit])
    return "01J" + "0" * 7 + "".join(reversed(digits))


def product(**overrides: Any) -> Product:
    """A valid version-1 product; override any field."""
    now = overrides.pop("now", _EPOCH)
    fields: dict[str, Any] = {
        "id": new_product_id(),
        "sku": f"SKU-{next(_ids)}",
        "name": "Enamel mug",
        "description": "A sturdy camping mug.",
        "category": "kitchen",
        "price": Decimal("12.5"),
        "currency": "USD",
        "inventory": 20,
        "low_stock_threshold": 5,
        "status": ProductStatus.ACTIVE,
        "images": [],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "last_change": ChangeRecord(actor="tester", command="create-product"),
    }
    fields.update(overrides)
    return Product(**fields)


@dataclass
class Catalog:
    """Admin-like commands on the write model through ``DynamoProductStore`` (real stream records)."""

    store: DynamoProductStore
    clock: datetime = _EPOCH
    products: dict[str, Product] = field(default_factory=dict)

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def create(self, **fields: Any) -> Product:
        """Create a product (version 1)."""
        created = product(now=self._tick(), **fields)
        self.store.create(created)
        self.products[created.id] = created
        return created

    def replace(self, product_id: str, command: str = "replace-product", **changes: Any) -> Product:
        """Write a new version with ``changes`` (a PUT or a PATCH, as far as the stream can tell)."""
        previous = self.store.get(product_id)
        assert previous is not None
        updated = previous.model_copy(
            update={
                **changes,
                "version": previous.version + 1,
                "updated_at": self._tick(),
                "last_change": ChangeRecord(actor="tester", command=command),
            }
        )
        self.store.replace(updated, previous)
        self.products[product_id] = updated
        return updated

    def adjust(
        self,
        product_id: str,
        *,
        delta: int | None = None,
        set_to: int | None = None,
        reason: str | None = None,
    ) -> Product:
        """Adjust stock atomically, as the inventory command does."""
        updated = self.store.adjust_stock(
            product_id,
            StockChange(
                delta=delta,
                absolute=set_to,
                change=ChangeRecord(actor="tester", command="adjust-inventory", reason=reason),
                updated_at=self._tick().isoformat(),
            ),
        )
        self.products[product_id] = updated
        return updated

    def add_image(self, product_id: str, image_id: str) -> Product:
        """Register an image on the product, as image registration does."""
        current = self.store.get(product_id)
        assert current is not None
        image = StoredImage(id=image_id, content_type="image/png", key=image_key(product_id, image_id))
        updated = self.store.set_images(
            current,
            [*current.images, image],
            ChangeRecord(actor="s3", command="register-image"),
            self._tick().isoformat(),
        )
        self.products[product_id] = updated
        return updated

    def delete(self, product_id: str) -> None:
        """Delete the product."""
        current = self.store.get(product_id)
        assert current is not None
        self.store.delete(current)
        self.products.pop(product_id, None)


def catalog_for(resources: Resources) -> Catalog:
    """Commands on the products table of ``resources``."""
    client = boto3.client("dynamodb", region_name=resources.region)
    return Catalog(DynamoProductStore(resources.names.products_table, client))


def stream_reader(resources: Resources) -> StreamReader:
    """A reader of the products stream, from its start, shaped as Lambda delivers records."""
    return StreamReader(resources.stream_arn, region=resources.region)


def product_records(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Only the records about products (the stream also carries SKU guards)."""
    return [r for r in records if str(r["dynamodb"]["Keys"]["pk"]["S"]).startswith("PRODUCT#")]


def invoke_projector(records: Sequence[Mapping[str, Any]], *, publish: bool = True) -> dict[str, Any]:
    """Invoke the projector Lambda handler with one batch, then (by default) hand the events it
    logged to the publisher as the log's stream mapping does, so subscribers receive them."""
    from projectors.catalog.handler import handler

    response = dict(handler(lambda_event(records), LocalLambdaContext(function_name="projector")))
    if publish:
        invoke_publisher_on_new_log_items()
    return response


def new_log_records(table_name: str = "catalog-events", region: str = "us-west-1") -> list[dict[str, Any]]:
    """Every INSERT record of the event log's stream, from its start (the mapping's filter)."""
    reader = StreamReader.for_table(table_name, region=region)
    return [record for record in reader.read_new() if record["eventName"] == "INSERT"]


def invoke_publisher_on_new_log_items() -> dict[str, Any]:
    """Invoke the publisher Lambda with the log's stream. Events already published are skipped
    by the publisher itself (their claim fails), so re-reading the stream from its start is safe."""
    from projectors.publisher.handler import handler

    records = new_log_records()
    if not records:
        return {"batchItemFailures": []}
    return dict(handler(lambda_event(records), LocalLambdaContext(function_name="event-publisher")))


def invoke_sweep() -> dict[str, Any]:
    """Invoke the publisher Lambda as its schedule does."""
    from projectors.publisher.handler import handler

    return dict(handler({"source": "aws.scheduler"}, LocalLambdaContext(function_name="event-publisher")))


def failed_identifiers(response: Mapping[str, Any]) -> list[str]:
    """The sequence numbers a partial batch response asks Lambda to retry."""
    return [str(failure["itemIdentifier"]) for failure in response["batchItemFailures"]]


class SubscribedQueue:
    """An SQS queue subscribed to the topic (raw delivery), optionally filtered on event types."""

    def __init__(
        self, resources: Resources, name: str = "inventory-subscriber", types: Sequence[str] | None = None
    ) -> None:
        self._sqs = boto3.client("sqs", region_name=resources.region)
        self.url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        boto3.client("sns", region_name=resources.region).subscribe(
            TopicArn=resources.topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "RawMessageDelivery": "true",
                **({"FilterPolicy": json.dumps({"type": list(types)})} if types is not None else {}),
            },
            ReturnSubscriptionArn=True,
        )

    def receive_all(self) -> list[dict[str, Any]]:
        """Every message delivered so far (deleted from the queue): body and attributes."""
        messages: list[dict[str, Any]] = []
        while True:
            response = self._sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            )
            batch = response.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(
                    {
                        "event": json.loads(message["Body"]),
                        "attributes": {
                            name: value["StringValue"]
                            for name, value in message.get("MessageAttributes", {}).items()
                        },
                    }
                )
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def create_views_table(resources: Resources, name: str) -> DynamoViewRepository:
    """Another, empty views table (same schema as the stack's), e.g. to rebuild into."""
    client = boto3.client("dynamodb", region_name=resources.region)
    client.create_table(**table_definition(VIEWS, name))
    return DynamoViewRepository(name, client)


def visible_snapshot(views: DynamoViewRepository) -> tuple[dict[str, Any], dict[str, int]]:
    """What shoppers can see: every visible product's public document, and non-zero counts."""
    documents = {
        view.product_id: view.public.model_dump(mode="json")
        for view in views.scan_views()
        if view.visible and view.public is not None
    }
    counts = {category: count for category, count in views.stored_counts().items() if count != 0}
    return documents, counts
