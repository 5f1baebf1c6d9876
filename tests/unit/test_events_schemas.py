"""Inventory event models: the committed JSON Schemas and the wire format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from projectors.publisher.sns import message_attributes
from shared.models.events import (
    DEFAULT_SCHEMA_DIRECTORY,
    EVENT_MODELS,
    InventoryData,
    InventoryEventType,
    build_event,
    render_schema,
    schema_documents,
    write_event_schemas,
)


def _event(event_type: InventoryEventType = InventoryEventType.LOW) -> object:
    data = InventoryData(
        product_id="01J1",
        sku="MUG-1",
        category="kitchen",
        previous_quantity=6,
        quantity=4,
        delta=-2,
        low_stock_threshold=5,
        version=3,
        reason="sold",
    )
    return build_event(
        event_type,
        event_id="id-1",
        source="urn:catalog:products",
        time=datetime(2026, 1, 2, tzinfo=UTC),
        data=data,
    )


def test_committed_event_schemas_match_the_models() -> None:
    committed = {
        path.name: path.read_text(encoding="utf-8") for path in DEFAULT_SCHEMA_DIRECTORY.glob("*.json")
    }
    generated = {name: render_schema(document) for name, document in schema_documents().items()}
    assert committed == generated, "event schemas are stale: run `python -m shared.models.events`"


def test_schema_writer_writes_one_file_per_event_type(tmp_path: Path) -> None:
    written = write_event_schemas(tmp_path)
    assert sorted(path.name for path in written) == sorted(f"{t.value}.json" for t in EVENT_MODELS)


@pytest.mark.parametrize("event_type", list(InventoryEventType))
def test_every_event_validates_against_its_committed_schema(event_type: InventoryEventType) -> None:
    schema = json.loads((DEFAULT_SCHEMA_DIRECTORY / f"{event_type.value}.json").read_text())
    message = json.loads(_event(event_type).model_dump_json())  # type: ignore[attr-defined]
    jsonschema.validate(message, schema)
    assert message["type"] == event_type.value


def test_an_event_of_one_type_does_not_validate_as_another() -> None:
    schema = json.loads((DEFAULT_SCHEMA_DIRECTORY / "catalog.inventory.changed.v1.json").read_text())
    message = json.loads(_event(InventoryEventType.LOW).model_dump_json())  # type: ignore[attr-defined]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, schema)


def test_events_are_cloudevents_in_json_structured_mode() -> None:
    message = json.loads(_event().model_dump_json())  # type: ignore[attr-defined]
    assert message == {
        "specversion": "1.0",
        "type": "catalog.inventory.low.v1",
        "id": "id-1",
        "source": "urn:catalog:products",
        "subject": "01J1",
        "time": "2026-01-02T00:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "product_id": "01J1",
            "sku": "MUG-1",
            "category": "kitchen",
            "previous_quantity": 6,
            "quantity": 4,
            "delta": -2,
            "low_stock_threshold": 5,
            "version": 3,
            "reason": "sold",
        },
    }


def test_message_attributes_let_subscribers_filter_by_type_category_and_product() -> None:
    assert message_attributes(_event()) == {  # type: ignore[arg-type]
        "type": {"DataType": "String", "StringValue": "catalog.inventory.low.v1"},
        "category": {"DataType": "String", "StringValue": "kitchen"},
        "product_id": {"DataType": "String", "StringValue": "01J1"},
    }
