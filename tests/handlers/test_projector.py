"""The projector Lambda, fed the products table's real stream records as Lambda delivers them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local.resources import Resources
from local.streams import StreamReader
from shared.data.views import DynamoViewRepository, ViewState
from shared.models.product import Availability, ProductStatus
from tests.stream_builders import (
    Catalog,
    SubscribedQueue,
    failed_identifiers,
    invoke_projector,
    product_records,
)


def _types(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"]["type"] for m in messages]


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def test_records_arrive_in_the_shape_lambda_delivers(
    aws: Resources, catalog: Catalog, stream: StreamReader
) -> None:
    catalog.create()
    record = product_records(stream.read_new())[0]
    assert record["eventSourceARN"] == aws.stream_arn
    assert record["awsRegion"] == "us-west-1"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_a_create_with_stock_is_a_change_from_zero(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue
) -> None:
    created = catalog.create(inventory=12, category="kitchen")

    response = invoke_projector(stream.read_new())

    assert failed_identifiers(response) == []
    (message,) = subscriber.receive_all()
    assert message["event"]["type"] == "catalog.inventory.changed.v1"
    assert message["event"]["subject"] == created.id
    assert message["event"]["data"]["previous_quantity"] == 0
    assert message["event"]["data"]["quantity"] == 12
    assert message["event"]["data"]["delta"] == 12
    assert message["event"]["data"]["reason"] == "create-product"
    assert message["attributes"] == {
        "type": "catalog.inventory.changed.v1",
        "category": "kitchen",
        "product_id": created.id,
    }


def test_a_create_without_stock_emits_nothing(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue
) -> None:
    catalog.create(inventory=0)
    invoke_projector(stream.read_new())
    assert subscriber.receive_all() == []


def test_stock_crossings_emit_low_depleted_and_restocked(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue
) -> None:
    item = catalog.create(inventory=10, low_stock_threshold=5)
    invoke_projector(stream.read_new())
    subscriber.receive_all()

    catalog.adjust(item.id, delta=-6, reason="order 17")  # 10 -> 4: below the threshold
    catalog.adjust(item.id, delta=-4)  # 4 -> 0
    catalog.adjust(item.id, set_to=8, reason="delivery")  # 0 -> 8
    catalog.adjust(item.id, delta=-1)  # 8 -> 7: a plain change
    invoke_projector(stream.read_new())

    messages = subscriber.receive_all()
    by_version: dict[int, list[str]] = {}
    for message in messages:
        by_version.setdefault(message["event"]["data"]["version"], []).append(message["event"]["type"])
    assert {version: sorted(types) for version, types in by_version.items()} == {
        2: ["catalog.inventory.changed.v1", "catalog.inventory.low.v1"],
        3: ["catalog.inventory.changed.v1", "catalog.inventory.depleted.v1"],
        4: ["catalog.inventory.changed.v1", "catalog.inventory.restocked.v1"],
        5: ["catalog.inventory.changed.v1"],
    }
    low = next(m for m in messages if m["event"]["type"] == "catalog.inventory.low.v1")
    assert low["event"]["data"] | {"product_id": None, "sku": None} == {
        "product_id": None,
        "sku": None,
        "category": "kitchen",
        "previous_quantity": 10,
        "quantity": 4,
        "delta": -6,
        "low_stock_threshold": 5,
        "version": 2,
        "reason": "order 17",
    }


def test_a_change_without_a_quantity_change_updates_the_view_but_emits_nothing(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue, views: DynamoViewRepository
) -> None:
    item = catalog.create(inventory=10)
    invoke_projector(stream.read_new())
    subscriber.receive_all()

    catalog.replace(item.id, name="Blue enamel mug", price=item.price + 1)
    invoke_projector(stream.read_new())

    assert subscriber.receive_all() == []
    public = views.get_public(item.id)
    assert public is not None
    assert public.name == "Blue enamel mug"


def test_views_show_active_products_with_availability_and_image_urls(
    catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create(inventory=3, low_stock_threshold=5)
    catalog.add_image(item.id, "img-1")

    invoke_projector(stream.read_new())

    public = views.get_public(item.id)
    assert public is not None
    assert public.availability is Availability.LOW_STOCK
    assert [(i.id, i.url) for i in public.images] == [("img-1", f"https://cdn.test/images/{item.id}/img-1")]
    assert views.stored_counts() == {"kitchen": 1}


def test_drafts_and_deleted_products_leave_the_public_views_but_drafts_still_emit(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue, views: DynamoViewRepository
) -> None:
    draft = catalog.create(status=ProductStatus.DRAFT, inventory=4)
    doomed = catalog.create(inventory=9)
    invoke_projector(stream.read_new())
    assert views.get_public(draft.id) is None
    assert views.get_public(doomed.id) is not None
    subscriber.receive_all()

    catalog.adjust(draft.id, delta=-4)
    catalog.delete(doomed.id)
    invoke_projector(stream.read_new())

    assert sorted(_types(subscriber.receive_all())) == [
        "catalog.inventory.changed.v1",
        "catalog.inventory.depleted.v1",
    ]
    assert views.get_public(doomed.id) is None
    tomb = views.current(doomed.id)
    assert tomb is not None
    assert (tomb.state, tomb.version) == (ViewState.DELETED, 2)
    assert views.category_counts() == []


def test_publishing_a_draft_adds_it_and_a_category_change_moves_both_counts(
    catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create(status=ProductStatus.DRAFT, category="kitchen")
    catalog.create(category="kitchen")
    invoke_projector(stream.read_new())
    assert views.stored_counts() == {"kitchen": 1}

    catalog.replace(item.id, status=ProductStatus.ACTIVE)
    invoke_projector(stream.read_new())
    assert views.stored_counts() == {"kitchen": 2}

    catalog.replace(item.id, category="garden")
    invoke_projector(stream.read_new())
    assert views.stored_counts() == {"kitchen": 1, "garden": 1}
    assert [page.id for page in views.list_page("garden", None, 10).items] == [item.id]


def test_sku_guard_records_are_acknowledged_and_ignored(catalog: Catalog, stream: StreamReader) -> None:
    catalog.create(sku="MUG-1")
    records = stream.read_new()
    guards = [r for r in records if r not in product_records(records)]
    assert guards

    assert failed_identifiers(invoke_projector(guards)) == []


def test_a_batch_delivered_twice_counts_once_and_publishes_each_event_once(
    catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue, views: DynamoViewRepository
) -> None:
    items = [catalog.create(inventory=6, category=c) for c in ("kitchen", "kitchen", "garden")]
    catalog.adjust(items[0].id, delta=-6)
    catalog.replace(items[1].id, category="garden")
    batch = stream.read_new()

    invoke_projector(batch)
    first = subscriber.receive_all()
    counts = views.stored_counts()
    invoke_projector(batch)
    second = subscriber.receive_all()

    # The redelivered records change no view, so they log (and publish) nothing again.
    assert views.stored_counts() == counts == {"kitchen": 1, "garden": 2}
    assert len(first) == len({m["event"]["id"] for m in first}) == 5
    assert second == []


def test_an_older_record_after_a_newer_one_leaves_the_view_unchanged(
    catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create(inventory=5, name="Old name")
    create_records = stream.read_new()
    catalog.replace(item.id, name="New name", category="garden")
    newer = stream.read_new()

    invoke_projector(newer)
    invoke_projector(create_records)

    current = views.current(item.id)
    assert current is not None
    assert current.version == 2
    assert current.public is not None
    assert current.public.name == "New name"
    assert views.stored_counts() == {"garden": 1}


def test_a_deletion_replayed_before_older_records_keeps_the_product_gone(
    catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create()
    older = stream.read_new()
    catalog.delete(item.id)
    removal = stream.read_new()

    invoke_projector(removal)
    invoke_projector(older)

    assert views.get_public(item.id) is None
    assert views.category_counts() == []
