"""The projection rules: view transitions, public documents and inventory event crossings."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from projectors.catalog.projection import (
    ChangeKind,
    ProductChange,
    coalesce,
    crossed_types,
    event_id,
    inventory_events,
    is_product_record,
    plan_transition,
    product_events,
    public_view,
    target_view,
    tombstone,
    view_of,
)
from shared.data.views import ProductView, ViewState
from shared.models.events import InventoryEventType
from shared.models.product import Availability, ChangeRecord, ProductStatus, StoredImage
from tests.stream_builders import product

CHANGED, LOW, DEPLETED, RESTOCKED = (
    InventoryEventType.CHANGED,
    InventoryEventType.LOW,
    InventoryEventType.DEPLETED,
    InventoryEventType.RESTOCKED,
)


@pytest.mark.parametrize(
    ("previous", "quantity", "threshold", "expected"),
    [
        (10, 10, 5, []),
        (10, 11, 5, [CHANGED]),
        (10, 4, 5, [CHANGED, LOW]),
        (5, 4, 5, [CHANGED, LOW]),
        (6, 5, 5, [CHANGED]),
        (4, 3, 5, [CHANGED]),
        (10, 0, 5, [CHANGED, DEPLETED]),
        (3, 0, 5, [CHANGED, DEPLETED]),
        (0, 7, 5, [CHANGED, RESTOCKED]),
        (0, 2, 5, [CHANGED, RESTOCKED]),
        (2, 9, 5, [CHANGED]),
        (1, 0, 0, [CHANGED, DEPLETED]),
        (3, 1, 0, [CHANGED]),
    ],
)
def test_quantity_changes_emit_changed_plus_the_crossings_they_make(
    previous: int, quantity: int, threshold: int, expected: list[InventoryEventType]
) -> None:
    assert crossed_types(previous, quantity, threshold, created=False) == expected


@pytest.mark.parametrize(("quantity", "expected"), [(0, []), (3, [CHANGED]), (50, [CHANGED])])
def test_a_create_is_a_change_from_zero_that_crosses_nothing(
    quantity: int, expected: list[InventoryEventType]
) -> None:
    assert crossed_types(0, quantity, 5, created=True) == expected


def _change(kind: ChangeKind, old: Any, new: Any, event: str = "evt-1") -> ProductChange:
    return ProductChange(event_id=event, kind=kind, old=old, new=new)


def test_event_data_carries_the_write_and_its_reason() -> None:
    old = product(inventory=6)
    new = old.model_copy(
        update={
            "inventory": 4,
            "version": 2,
            "updated_at": datetime(2026, 5, 1, tzinfo=UTC),
            "last_change": ChangeRecord(actor="a", command="adjust-inventory", reason="sold at fair"),
        }
    )

    events = inventory_events(_change(ChangeKind.MODIFY, old, new), source="urn:test")

    assert [e.type for e in events] == [CHANGED, LOW]
    first = events[0]
    assert first.subject == new.id
    assert first.source == "urn:test"
    assert first.time == datetime(2026, 5, 1, tzinfo=UTC)
    assert first.data.model_dump() == {
        "product_id": new.id,
        "sku": new.sku,
        "category": new.category,
        "previous_quantity": 6,
        "quantity": 4,
        "delta": -2,
        "low_stock_threshold": 5,
        "version": 2,
        "reason": "sold at fair",
    }


def test_reason_falls_back_to_the_command() -> None:
    old = product(inventory=6)
    new = old.model_copy(
        update={
            "inventory": 9,
            "version": 2,
            "last_change": ChangeRecord(actor="a", command="replace-product"),
        }
    )
    (event,) = inventory_events(_change(ChangeKind.MODIFY, old, new), source="s")
    assert event.data.reason == "replace-product"


def test_event_ids_are_derived_from_the_stream_record_and_type() -> None:
    old = product(inventory=6)
    new = old.model_copy(update={"inventory": 0, "version": 2})

    first = inventory_events(_change(ChangeKind.MODIFY, old, new, event="rec-9"), source="s")
    again = inventory_events(_change(ChangeKind.MODIFY, old, new, event="rec-9"), source="s")
    other = inventory_events(_change(ChangeKind.MODIFY, old, new, event="rec-10"), source="s")

    assert [e.id for e in first] == [e.id for e in again]
    assert first[0].id == event_id("rec-9", CHANGED)
    assert len({e.id for e in first}) == 2
    assert not {e.id for e in first} & {e.id for e in other}


def test_a_deletion_emits_no_inventory_event() -> None:
    gone = product(inventory=12)
    assert inventory_events(_change(ChangeKind.REMOVE, gone, None), source="s") == []


def test_drafts_emit_inventory_events_because_their_stock_is_real() -> None:
    old = product(inventory=1, status=ProductStatus.DRAFT)
    new = old.model_copy(update={"inventory": 0, "version": 2})
    assert [e.type for e in inventory_events(_change(ChangeKind.MODIFY, old, new), source="s")] == [
        CHANGED,
        DEPLETED,
    ]


def test_public_view_shows_availability_and_cdn_image_urls_but_no_stock() -> None:
    item = product(
        inventory=3,
        low_stock_threshold=5,
        images=[StoredImage(id="img1", content_type="image/png", key="images/p1/img1")],
    )

    public = public_view(item, "https://cdn.example/")

    assert public.availability is Availability.LOW_STOCK
    assert [image.url for image in public.images] == ["https://cdn.example/images/p1/img1"]
    dumped = public.model_dump()
    assert "inventory" not in dumped
    assert "low_stock_threshold" not in dumped
    assert "status" not in dumped


def test_image_urls_are_same_origin_paths_without_a_base_url() -> None:
    item = product(images=[StoredImage(id="i", content_type="image/png", key="images/p/i")])
    assert public_view(item, "").images[0].url == "/images/p/i"


def _view(version: int, state: ViewState = ViewState.ACTIVE, category: str = "kitchen") -> ProductView:
    item = product(version=version, category=category)
    if state is ViewState.ACTIVE:
        return view_of(item, "")
    if state is ViewState.DRAFT:
        return view_of(item.model_copy(update={"status": ProductStatus.DRAFT}), "")
    return tombstone(item.id, version - 1)


def test_first_visible_view_counts_once_in_its_category() -> None:
    transition = plan_transition(None, _view(1))
    assert transition is not None
    assert transition.expected_version is None
    assert transition.count_deltas == {"kitchen": 1}


def test_a_category_change_moves_the_product_between_counts() -> None:
    transition = plan_transition(_view(3), _view(4, category="garden"))
    assert transition is not None
    assert transition.expected_version == 3
    assert transition.count_deltas == {"kitchen": -1, "garden": 1}


@pytest.mark.parametrize(
    ("current", "target", "deltas"),
    [
        (ViewState.ACTIVE, ViewState.DRAFT, {"kitchen": -1}),
        (ViewState.DRAFT, ViewState.ACTIVE, {"kitchen": 1}),
        (ViewState.ACTIVE, ViewState.DELETED, {"kitchen": -1}),
        (ViewState.DRAFT, ViewState.DELETED, {}),
        (ViewState.ACTIVE, ViewState.ACTIVE, {}),
    ],
)
def test_visibility_changes_adjust_counts(
    current: ViewState, target: ViewState, deltas: dict[str, int]
) -> None:
    transition = plan_transition(_view(2, current), _view(3, target))
    assert transition is not None
    assert dict(transition.count_deltas) == deltas


@pytest.mark.parametrize("target_version", [1, 2])
def test_a_duplicate_or_older_record_plans_nothing(target_version: int) -> None:
    assert plan_transition(_view(2), _view(target_version)) is None


def test_an_older_record_cannot_resurrect_a_deleted_product() -> None:
    deleted = tombstone("p1", 5)
    older = product(id="p1", version=5)
    assert plan_transition(deleted, view_of(older, "")) is None


def test_a_removal_tombstones_one_version_past_the_last_write() -> None:
    gone = product(version=7)
    target = target_view(_change(ChangeKind.REMOVE, gone, None), "")
    assert (target.version, target.state, target.public) == (8, ViewState.DELETED, None)


def test_sku_guard_records_are_not_product_records() -> None:
    assert not is_product_record({"dynamodb": {"Keys": {"pk": {"S": "SKU#MUG-1"}}}})
    assert is_product_record({"dynamodb": {"Keys": {"pk": {"S": "PRODUCT#01J"}}}})


def test_coalesced_transitions_expect_the_first_state_and_write_the_last_with_every_change() -> None:
    base = product(version=2, category="kitchen")
    versions = [
        base,
        base.model_copy(update={"version": 3, "category": "garden"}),
        base.model_copy(update={"version": 4, "category": "garden", "status": ProductStatus.DRAFT}),
    ]
    stored, moved, hidden = (view_of(version, "") for version in versions)
    events = [
        product_events(ProductChange(f"e{new.version}", ChangeKind.MODIFY, old, new), "urn:test")[0]
        for old, new in itertools.pairwise(versions)
    ]
    first = plan_transition(stored, moved)
    second = plan_transition(moved, hidden)
    assert first is not None
    assert second is not None

    merged = coalesce([replace(first, events=(events[0],)), replace(second, events=(events[1],))])

    assert (merged.expected_version, merged.previous, merged.view) == (2, stored, hidden)
    # kitchen -1, garden +1 then -1: the garden count nets to nothing and is left out.
    assert merged.count_deltas == {"kitchen": -1}
    assert list(merged.events) == events


def test_only_one_products_transitions_can_be_coalesced() -> None:
    one = plan_transition(None, _view(1))
    other = plan_transition(None, view_of(product(id="p2", version=1), ""))
    assert one is not None
    assert other is not None

    with pytest.raises(ValueError, match="one product"):
        coalesce([one, other])
    with pytest.raises(ValueError, match="nothing"):
        coalesce([])
