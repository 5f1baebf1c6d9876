"""How the views table stores product documents: JSON text, with earlier map-shaped items still read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from local.resources import Resources
from local.streams import StreamReader
from shared.data.admin_listing import ADMIN_DOCUMENT, AdminFilters, AdminListing
from shared.data.dynamo import from_attribute_values, to_attribute_values
from shared.data.views import (
    VIEW_SORT_KEY,
    DynamoViewRepository,
    entry_attribute_items,
    entry_items,
    entry_scopes,
)
from shared.discovery import Discovery
from shared.models.product import parse_json
from tests.stream_builders import Catalog, invoke_projector

DOCUMENTS = ("public", ADMIN_DOCUMENT)


def _raw_items(resources: Resources, product_id: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=resources.region)
    return client.query(
        TableName=resources.names.views_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PRODUCT#{product_id}"}},
    )["Items"]


def _as_maps(item: dict[str, Any]) -> dict[str, Any]:
    """The item as views were written before documents became JSON text: nested maps, exact prices."""
    plain = from_attribute_values(item)
    for name in DOCUMENTS:
        if name in plain:
            plain[name] = parse_json(plain[name])
    return to_attribute_values(plain)


def test_view_and_entry_documents_are_stored_as_one_json_string_each(
    aws: Resources, catalog: Catalog, stream: StreamReader
) -> None:
    created = catalog.create(price=Decimal("0.57"))
    invoke_projector(stream.read_new())

    items = _raw_items(aws, created.id)
    documents = [(item["sk"]["S"], name, item[name]) for item in items for name in DOCUMENTS if name in item]

    # The view holds both documents; every discovery entry holds the public one.
    assert {sort_key for sort_key, _, _ in documents} == {item["sk"]["S"] for item in items}
    assert all(set(value) == {"S"} for _, _, value in documents)


@pytest.mark.parametrize("price", ["0.57", "19.9", "999999.99", "20"])
def test_prices_read_back_from_json_text_exactly(
    price: str, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    created = catalog.create(price=Decimal(price))
    invoke_projector(stream.read_new())

    public = views.get_public(created.id)
    stored = views.current(created.id)

    assert public is not None
    assert stored is not None
    assert stored.admin is not None
    assert (public.price, stored.admin.price) == (Decimal(price), Decimal(price))


def test_views_written_with_map_documents_are_still_served_everywhere(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    created = catalog.create(price=Decimal("12.5"), category="legacy")
    invoke_projector(stream.read_new())
    client = boto3.client("dynamodb", region_name=aws.region)
    for item in _raw_items(aws, created.id):
        client.put_item(TableName=aws.names.views_table, Item=_as_maps(item))
    assert all(set(item["public"]) == {"M"} for item in _raw_items(aws, created.id))

    detail = views.get_public(created.id)
    listed = views.list_page("legacy", None, 10).items
    discovered = views.discover(Discovery(category="legacy"), None, 10).items
    admin = (
        AdminListing(aws.names.views_table, client).page(AdminFilters(category="legacy"), None, 10, 50).items
    )
    stored = views.current(created.id)

    assert detail is not None
    assert detail.price == Decimal("12.5")
    assert [p.id for p in listed] == [p.id for p in discovered] == [created.id]
    assert [(p.id, p.price) for p in admin] == [(created.id, Decimal("12.5"))]
    assert stored is not None
    assert stored.admin is not None
    assert stored.admin.price == Decimal("12.5")


def test_entries_serialised_once_for_all_scopes_are_the_items_of_each_scope(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    created = catalog.create(name="Trail running shoe", sku="TRAIL-42")
    invoke_projector(stream.read_new())
    view = views.current(created.id)
    assert view is not None

    serialised = entry_attribute_items(view)

    assert len(serialised) == len(entry_scopes(view)) > 1
    assert serialised == [to_attribute_values(entry) for entry in entry_items(view)]
    assert len({item["sk"]["S"] for item in serialised}) == len(serialised)
    stored = [item for item in _raw_items(aws, created.id) if item["sk"]["S"] != VIEW_SORT_KEY]
    assert sorted(stored, key=lambda item: item["sk"]["S"]) == sorted(
        serialised, key=lambda item: item["sk"]["S"]
    )
