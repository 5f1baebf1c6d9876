"""Catalog events: CloudEvents 1.0 envelopes (JSON structured mode) and their ``data``.

Two families share one envelope, one topic and one set of SNS attributes: inventory events
(stock moved or crossed a level) and product events (a product was created, updated or deleted).
The models are the single source of the events' wire format and of the JSON Schemas committed
under ``docs/events/``; ``python -m shared.models.events`` (and ``make openapi``) regenerates
them, and a test fails when the committed files differ from what the models produce.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from shared.models.product import Money, ProductStatus

SPEC_VERSION: Final = "1.0"
DATA_CONTENT_TYPE: Final = "application/json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_SCHEMA_DIRECTORY = Path(__file__).resolve().parents[2] / "docs" / "events"


class InventoryEventType(StrEnum):
    """The four inventory event types; the ``.v1`` suffix versions the ``data`` schema."""

    CHANGED = "catalog.inventory.changed.v1"
    LOW = "catalog.inventory.low.v1"
    DEPLETED = "catalog.inventory.depleted.v1"
    RESTOCKED = "catalog.inventory.restocked.v1"


class ProductEventType(StrEnum):
    """The three product lifecycle event types."""

    CREATED = "catalog.product.created.v1"
    UPDATED = "catalog.product.updated.v1"
    DELETED = "catalog.product.deleted.v1"


EventType = InventoryEventType | ProductEventType
ALL_EVENT_TYPES: tuple[EventType, ...] = (*InventoryEventType, *ProductEventType)


def event_type_named(name: str) -> EventType:
    """The event type called ``name``.

    Raises
    ------
    ValueError
        When no event type has that name.
    """
    for event_type in ALL_EVENT_TYPES:
        if event_type.value == name:
            return event_type
    raise ValueError(f"unknown event type {name!r}")


class _Data(BaseModel):
    """Base of every ``data`` member: what the envelope needs to route and order an event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def routing_category(self) -> str:
        """The product's category, sent as the ``category`` SNS attribute."""
        raise NotImplementedError

    @property
    def product_version(self) -> int:
        """The product version the event describes."""
        raise NotImplementedError


class InventoryData(_Data):
    """The ``data`` member of every inventory event."""

    product_id: str = Field(description="The product whose stock changed (also the event's subject).")
    sku: str
    category: str
    previous_quantity: int = Field(ge=0, description="Stock before the write (0 for a new product).")
    quantity: int = Field(ge=0, description="Stock after the write.")
    delta: int = Field(description="quantity - previous_quantity.")
    low_stock_threshold: int = Field(ge=0, description="The threshold in force after the write.")
    version: int = Field(ge=1, description="Product version after the write; grows per product.")
    reason: str | None = Field(
        description="The reason given with a stock adjustment, else the command that made the write."
    )

    @property
    def routing_category(self) -> str:
        """The product's category."""
        return self.category

    @property
    def product_version(self) -> int:
        """The product version after the write."""
        return self.version


class EventImage(_Data):
    """An image as events carry it: no URL (admin URLs expire, public ones depend on the edge)."""

    id: str
    content_type: str


class EventProduct(_Data):
    """A product in the admin shape, images without URLs: what a search indexer needs, no call back."""

    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Money
    currency: str
    inventory: int = Field(ge=0)
    low_stock_threshold: int = Field(ge=0)
    status: ProductStatus
    images: list[EventImage]
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


# The fields an update can change, in the order ``changed`` lists them.
CHANGEABLE_FIELDS: Final = (
    "sku",
    "name",
    "description",
    "category",
    "price",
    "currency",
    "inventory",
    "low_stock_threshold",
    "status",
    "images",
)


class ProductCreatedData(_Data):
    """The ``data`` of ``catalog.product.created.v1``."""

    product: EventProduct
    version: int = Field(ge=1, description="The product's version after the change (1).")

    @property
    def routing_category(self) -> str:
        """The product's category."""
        return self.product.category

    @property
    def product_version(self) -> int:
        """The product version the event describes."""
        return self.version


class ProductUpdatedData(_Data):
    """The ``data`` of ``catalog.product.updated.v1``."""

    product: EventProduct
    changed: list[str] = Field(description="The fields whose value differs from the previous version.")
    version: int = Field(ge=1, description="The product's version after the change.")

    @property
    def routing_category(self) -> str:
        """The product's category."""
        return self.product.category

    @property
    def product_version(self) -> int:
        """The product version the event describes."""
        return self.version


class ProductDeletedData(_Data):
    """The ``data`` of ``catalog.product.deleted.v1``."""

    product_id: str
    sku: str
    category: str
    version: int = Field(ge=2, description="One more than the last version, so it orders after every update.")

    @property
    def routing_category(self) -> str:
        """The product's category."""
        return self.category

    @property
    def product_version(self) -> int:
        """The product version the event describes."""
        return self.version


class CatalogEventBase(BaseModel):
    """The CloudEvents 1.0 envelope shared by every catalog event."""

    # Defaults (specversion, type, datacontenttype) are always sent, so the schema requires them.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    specversion: Literal["1.0"] = SPEC_VERSION
    type: str
    id: str = Field(description="Derived from the stream record, so a redelivered event keeps its id.")
    source: str
    subject: str = Field(description="The product id.")
    time: datetime = Field(
        description="When the write was committed (updated_at; a deletion's stream record time)."
    )
    datacontenttype: Literal["application/json"] = DATA_CONTENT_TYPE
    data: _Data

    @property
    def category(self) -> str:
        """The product's category (an SNS filter attribute)."""
        return self.data.routing_category

    @property
    def version(self) -> int:
        """The product version the event describes (orders a product's events)."""
        return self.data.product_version


class InventoryEventBase(CatalogEventBase):
    """The envelope of every inventory event."""

    type: InventoryEventType
    data: InventoryData


class InventoryChanged(InventoryEventBase):
    """Every committed write whose quantity differs (a create with stock: a change from 0)."""

    type: Literal[InventoryEventType.CHANGED] = InventoryEventType.CHANGED


class InventoryLow(InventoryEventBase):
    """Quantity crossed from at or above the threshold to below it, and is above 0."""

    type: Literal[InventoryEventType.LOW] = InventoryEventType.LOW


class InventoryDepleted(InventoryEventBase):
    """Quantity went from above 0 to 0."""

    type: Literal[InventoryEventType.DEPLETED] = InventoryEventType.DEPLETED


class InventoryRestocked(InventoryEventBase):
    """Quantity went from 0 to above 0 on an existing product."""

    type: Literal[InventoryEventType.RESTOCKED] = InventoryEventType.RESTOCKED


class ProductCreated(CatalogEventBase):
    """A product was created (through the API or an import)."""

    type: Literal[ProductEventType.CREATED] = ProductEventType.CREATED
    data: ProductCreatedData


class ProductUpdated(CatalogEventBase):
    """A committed change of an existing product; a stock change too, with ``changed: ["inventory"]``."""

    type: Literal[ProductEventType.UPDATED] = ProductEventType.UPDATED
    data: ProductUpdatedData


class ProductDeleted(CatalogEventBase):
    """A product was deleted."""

    type: Literal[ProductEventType.DELETED] = ProductEventType.DELETED
    data: ProductDeletedData


CatalogEvent = Annotated[
    InventoryChanged
    | InventoryLow
    | InventoryDepleted
    | InventoryRestocked
    | ProductCreated
    | ProductUpdated
    | ProductDeleted,
    Field(discriminator="type"),
]
CATALOG_EVENT: TypeAdapter[CatalogEvent] = TypeAdapter(CatalogEvent)

EVENT_MODELS: dict[EventType, type[CatalogEventBase]] = {
    InventoryEventType.CHANGED: InventoryChanged,
    InventoryEventType.LOW: InventoryLow,
    InventoryEventType.DEPLETED: InventoryDepleted,
    InventoryEventType.RESTOCKED: InventoryRestocked,
    ProductEventType.CREATED: ProductCreated,
    ProductEventType.UPDATED: ProductUpdated,
    ProductEventType.DELETED: ProductDeleted,
}


def parse_event(message: str | bytes) -> CatalogEventBase:
    """An event from its JSON text (as published and as logged), validated against its type's model.

    Raises
    ------
    pydantic.ValidationError
        When the text is not a valid catalog event.
    """
    event: CatalogEventBase = CATALOG_EVENT.validate_json(message)
    return event


def build_event(
    event_type: InventoryEventType, *, event_id: str, source: str, time: datetime, data: InventoryData
) -> InventoryEventBase:
    """An inventory event of ``event_type`` about ``data.product_id``."""
    model = EVENT_MODELS[event_type]
    event = model(type=event_type, id=event_id, source=source, subject=data.product_id, time=time, data=data)
    assert isinstance(event, InventoryEventBase)
    return event


def schema_documents() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event type, keyed by file name (``<type>.json``)."""
    documents = {}
    for event_type, model in EVENT_MODELS.items():
        schema = model.model_json_schema(mode="serialization")
        documents[f"{event_type.value}.json"] = {
            "$schema": SCHEMA_DIALECT,
            "$id": f"urn:catalog:events:{event_type.value}",
            **schema,
            "title": event_type.value,
        }
    return documents


def render_schema(document: dict[str, Any]) -> str:
    """The committed text of a schema: stable key order, two-space indent, final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_event_schemas(directory: Path = DEFAULT_SCHEMA_DIRECTORY) -> list[Path]:
    """Write every event schema into ``directory`` and return the paths written.

    Files for event types that no longer exist are left alone; the staleness test names them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in schema_documents().items():
        path = directory / name
        path.write_text(render_schema(document), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_event_schemas():
        print(written_path)
