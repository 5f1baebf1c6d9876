"""Product event rules: created, updated (with the fields that changed) and deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import jsonschema  # type: ignore[import-untyped]
import pytest

from projectors.catalog.projection import (
    ChangeKind,
    ProductChange,
    changed_fields,
    event_id,
    product_events,
    record_events,
)
from projectors.publisher.sns import message_attributes
from shared.models.events import DEFAULT_SCHEMA_DIRECTORY, ProductEventType, parse_event
from shared.models.product import ProductStatus, StoredImage
from tests.stream_builders import product

SOURCE = "urn:test"


def _schema(event_type: str) -> dict[str, object]:
    document: dict[str, object] = json.loads((DEFAULT_SCHEMA_DIRECTORY / f"{event_type}.json").read_text())
    return document


def test_a_create_is_a_created_event_with_the_product_in_the_admin_shape_without_urls() -> None:
    new = product(
        version=1,
        inventory=4,
        images=[StoredImage(id="img1", content_type="image/png", key="images/p/img1")],
    )
    (event,) = product_events(ProductChange("rec-1", ChangeKind.INSERT, None, new), SOURCE)

    message = json.loads(event.model_dump_json())
    assert message["type"] == ProductEventType.CREATED.value
    assert message["id"] == event_id("rec-1", ProductEventType.CREATED)
    assert message["subject"] == new.id
    assert message["data"]["version"] == 1
    assert message["data"]["product"]["images"] == [{"id": "img1", "content_type": "image/png"}]
    assert set(message["data"]["product"]) == {
        "id", "sku", "name", "description", "category", "price", "currency", "inventory",
        "low_stock_threshold", "status", "images", "version", "created_at", "updated_at",
    }  # fmt: skip
    jsonschema.validate(message, _schema(ProductEventType.CREATED.value))


def test_an_update_lists_exactly_the_fields_that_changed() -> None:
    old = product(version=3, name="Mug", price=Decimal("10"), status=ProductStatus.DRAFT)
    new = old.model_copy(
        update={"version": 4, "name": "Big mug", "price": Decimal("12.5"), "status": "active"}
    )
    (event,) = product_events(ProductChange("rec-2", ChangeKind.MODIFY, old, new), SOURCE)

    message = json.loads(event.model_dump_json())
    assert message["type"] == ProductEventType.UPDATED.value
    assert message["data"]["changed"] == ["name", "price", "status"]
    assert message["data"]["version"] == 4
    assert message["data"]["product"]["price"] == 12.5
    jsonschema.validate(message, _schema(ProductEventType.UPDATED.value))


def test_a_stock_change_is_also_a_product_update_of_inventory() -> None:
    old = product(version=2, inventory=10)
    new = old.model_copy(update={"version": 3, "inventory": 7})
    events = record_events(ProductChange("rec-3", ChangeKind.MODIFY, old, new), SOURCE)

    assert [e.type for e in events] == ["catalog.product.updated.v1", "catalog.inventory.changed.v1"]
    assert json.loads(events[0].model_dump_json())["data"]["changed"] == ["inventory"]
    assert len({e.id for e in events}) == 2


def test_a_new_version_without_visible_changes_is_still_an_update() -> None:
    old = product(version=2)
    new = old.model_copy(update={"version": 3})
    (event,) = product_events(ProductChange("rec-4", ChangeKind.MODIFY, old, new), SOURCE)
    assert json.loads(event.model_dump_json())["data"]["changed"] == []


def test_a_deletion_carries_the_next_version_so_it_orders_after_every_update() -> None:
    old = product(version=7, category="garden")
    committed = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    (event,) = product_events(ProductChange("rec-5", ChangeKind.REMOVE, old, None, committed), SOURCE)

    message = json.loads(event.model_dump_json())
    assert message["type"] == ProductEventType.DELETED.value
    assert message["data"] == {"product_id": old.id, "sku": old.sku, "category": "garden", "version": 8}
    assert message["time"] == "2026-05-01T12:00:00Z"
    jsonschema.validate(message, _schema(ProductEventType.DELETED.value))


def test_image_changes_are_listed_as_images() -> None:
    old = product(version=1)
    new = old.model_copy(
        update={"version": 2, "images": [StoredImage(id="i", content_type="image/webp", key="images/x/i")]}
    )
    assert changed_fields(old, new) == ["images"]


@pytest.mark.parametrize("kind", [ChangeKind.INSERT, ChangeKind.MODIFY, ChangeKind.REMOVE])
def test_product_events_carry_the_same_sns_attributes_as_inventory_events(kind: ChangeKind) -> None:
    old = product(version=1, category="kitchen") if kind is not ChangeKind.INSERT else None
    new = product(version=2, category="kitchen") if kind is not ChangeKind.REMOVE else None
    if old is not None and new is not None:
        new = new.model_copy(update={"id": old.id})
    (event,) = product_events(ProductChange("rec-6", kind, old, new), SOURCE)

    assert {name: value["StringValue"] for name, value in message_attributes(event).items()} == {
        "type": event.type,
        "category": "kitchen",
        "product_id": event.subject,
    }


def test_a_logged_event_parses_back_to_its_own_type() -> None:
    new = product(version=1)
    (event,) = product_events(ProductChange("rec-7", ChangeKind.INSERT, None, new), SOURCE)
    parsed = parse_event(event.model_dump_json())
    assert type(parsed) is type(event)
    assert parsed == event
