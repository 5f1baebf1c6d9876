"""Inventory events: CloudEvents 1.0 envelopes (JSON structured mode) and their ``data``.

The models are the single source of the events' wire format and of the JSON Schemas committed
under ``docs/events/``; ``python -m shared.models.events`` (and ``make openapi``) regenerates
them, and a test fails when the committed files differ from what the models produce.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class InventoryData(BaseModel):
    """The ``data`` member of every inventory event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class InventoryEventBase(BaseModel):
    """The CloudEvents 1.0 envelope shared by every inventory event."""

    # Defaults (specversion, type, datacontenttype) are always sent, so the schema requires them.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    specversion: Literal["1.0"] = SPEC_VERSION
    type: InventoryEventType
    id: str = Field(description="Derived from the stream record, so a redelivered event keeps its id.")
    source: str
    subject: str = Field(description="The product id.")
    time: datetime = Field(description="When the write was committed (the product's updated_at).")
    datacontenttype: Literal["application/json"] = DATA_CONTENT_TYPE
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


InventoryEvent = InventoryChanged | InventoryLow | InventoryDepleted | InventoryRestocked

EVENT_MODELS: dict[InventoryEventType, type[InventoryEventBase]] = {
    InventoryEventType.CHANGED: InventoryChanged,
    InventoryEventType.LOW: InventoryLow,
    InventoryEventType.DEPLETED: InventoryDepleted,
    InventoryEventType.RESTOCKED: InventoryRestocked,
}


def build_event(
    event_type: InventoryEventType, *, event_id: str, source: str, time: datetime, data: InventoryData
) -> InventoryEventBase:
    """An event of ``event_type`` about ``data.product_id``."""
    model = EVENT_MODELS[event_type]
    return model(type=event_type, id=event_id, source=source, subject=data.product_id, time=time, data=data)


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
