"""`GET /products` discovery: sort, price range, availability and word-prefix search (SPEC "Discovery")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest

from local.resources import Resources
from local.streams import StreamReader
from shared.data.dynamo import dynamodb_client
from shared.data.views import DISCOVERY_ENTITY, EXAMINED_PER_ITEM, DynamoViewRepository
from shared.discovery import AvailabilityFilter, Discovery
from shared.models.product import ProductStatus
from tests.builders import Response, call
from tests.stream_builders import Catalog, create_views_table, invoke_projector
from tools.rebuild_views import rebuild_views


def get(query: str) -> Response:
    """A shopper's anonymous listing request."""
    return call("GET", "/products", query=query, claims=None)


def walk(query: str, limit: int = 2) -> list[dict[str, Any]]:
    """Every item of a listing, following next_cursor; each page must be a 200 within ``limit``."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        page = get("&".join(p for p in (query, f"limit={limit}", f"cursor={cursor}" if cursor else "") if p))
        assert page.status == 200, page
        body = page.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the listing never ended")


def ids(items: list[dict[str, Any]]) -> list[str]:
    """The product ids of listed items, in order."""
    return [item["id"] for item in items]


# (name, sku, category, price, inventory); three products share the price 12.5 to exercise ties.
SHELF = [
    ("Ceramic Mug", "MUG-001", "kitchen", "12.5", 40),
    ("Crème brûlée torch", "TORCH-7", "kitchen", "34.99", 2),
    ("Enamel mug", "MUG-002", "outdoors", "12.5", 0),
    ("Two-person tent", "TENT-2P", "outdoors", "199", 6),
    ("Cast iron pan", "PAN-10", "kitchen", "12.5", 12),
    ("Mugwort tea", "TEA-3", "pantry", "4.2", 100),
    ("Ceramic bowl", "BOWL-1", "kitchen", "8", 0),
]


# By folded name: case and accents do not count.
NAME_ORDER = [
    "Cast iron pan",
    "Ceramic bowl",
    "Ceramic Mug",
    "Crème brûlée torch",
    "Enamel mug",
    "Mugwort tea",
    "Two-person tent",
]


@pytest.fixture
def shelf(catalog: Catalog, stream: StreamReader) -> dict[str, str]:
    """The products above (low_stock_threshold 5), plus a draft mug; name → id."""
    created = {
        name: catalog.create(
            name=name, sku=sku, category=category, price=Decimal(price), inventory=inventory
        ).id
        for name, sku, category, price, inventory in SHELF
    }
    catalog.create(name="Draft mug", sku="MUG-DRAFT", status=ProductStatus.DRAFT)
    assert invoke_projector(stream.read_new())["batchItemFailures"] == []
    return created


def names(items: list[dict[str, Any]]) -> list[str]:
    """The names of listed items, in order."""
    return [item["name"] for item in items]


def test_each_sort_orders_with_id_tie_breaks_and_pages_without_repeats(shelf: dict[str, str]) -> None:
    by_price = sorted(SHELF, key=lambda row: (Decimal(row[3]), shelf[row[0]]))

    assert names(walk("sort=price_asc")) == [row[0] for row in by_price]
    descending = sorted(SHELF, key=lambda row: (Decimal(row[3]), shelf[row[0]]), reverse=True)
    assert names(walk("sort=price_desc")) == [row[0] for row in descending]
    assert names(walk("sort=name")) == NAME_ORDER
    assert ids(walk("sort=newest")) == sorted(shelf.values(), reverse=True)
    assert ids(walk("")) == ids(walk("sort=newest", limit=3))


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "name"])
def test_a_price_range_is_inclusive_under_every_sort(shelf: dict[str, str], sort: str) -> None:
    listed = walk(f"sort={sort}&min_price=8&max_price=12.50", limit=1)

    assert sorted(names(listed)) == ["Cast iron pan", "Ceramic Mug", "Ceramic bowl", "Enamel mug"]
    assert len(set(ids(listed))) == len(listed)


def test_availability_in_stock_includes_low_stock(shelf: dict[str, str]) -> None:
    in_stock = names(walk("availability=in_stock&sort=name"))
    out_of_stock = names(walk("availability=out_of_stock&sort=name"))

    assert in_stock == [
        "Cast iron pan",
        "Ceramic Mug",
        "Crème brûlée torch",
        "Mugwort tea",
        "Two-person tent",
    ]
    assert out_of_stock == ["Ceramic bowl", "Enamel mug"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mug ce", ["Ceramic Mug"]),
        ("  MUG  ", ["Ceramic Mug", "Enamel mug", "Mugwort tea"]),
        ("creme BRU", ["Crème brûlée torch"]),
        ("CRÈME", ["Crème brûlée torch"]),
        ("tent-2", ["Two-person tent"]),
        ("2p", ["Two-person tent"]),
        ("mug 002", ["Enamel mug"]),
        ("ceramics", []),
        ("rami", []),
        ("   ", None),
    ],
)
def test_q_matches_word_prefixes_of_name_and_sku_ignoring_case_and_accents(
    shelf: dict[str, str], q: str, expected: list[str] | None
) -> None:
    listed = names(walk(f"q={quote(q)}&sort=name"))

    # Blank q is no search at all: every active product, never the draft.
    assert listed == (expected if expected is not None else NAME_ORDER)


def test_every_parameter_combines_with_category_and_q(shelf: dict[str, str]) -> None:
    query = "q=c&category=kitchen&availability=in_stock&max_price=20&sort=price_desc"

    assert names(walk(query, limit=1)) == ["Cast iron pan", "Ceramic Mug"]
    assert names(walk("q=mug&category=outdoors&min_price=1")) == ["Enamel mug"]
    assert names(walk("category=kitchen&sort=name&availability=out_of_stock")) == ["Ceramic bowl"]


def test_a_cursor_only_continues_the_listing_it_came_from(shelf: dict[str, str]) -> None:
    cursor = get("sort=price_asc&q=mug&limit=1").json()["next_cursor"]
    assert cursor is not None

    assert get(f"sort=price_asc&q=mug&limit=1&cursor={cursor}").status == 200
    for other in ("sort=price_desc&q=mug", "sort=price_asc&q=mugs", "sort=price_asc", "q=mug"):
        response = get(f"{other}&limit=1&cursor={cursor}")
        assert response.status == 400, other
        assert response.json()["errors"][0]["field"] == "cursor"


def test_search_entries_follow_renames_drafts_and_deletions(
    shelf: dict[str, str], catalog: Catalog, stream: StreamReader
) -> None:
    catalog.replace(shelf["Ceramic Mug"], name="Stoneware cup")
    catalog.replace(shelf["Enamel mug"], status=ProductStatus.DRAFT)
    catalog.delete(shelf["Mugwort tea"])
    invoke_projector(stream.read_new())

    assert names(walk("q=enamel")) == []
    assert names(walk("q=mugwort")) == []
    assert names(walk("q=cup%20st")) == ["Stoneware cup"]
    assert names(walk("q=ceramic")) == ["Ceramic bowl"]
    # Its SKU (MUG-001) still finds the renamed mug; the draft and the deleted one are gone.
    assert names(walk("q=mug")) == ["Stoneware cup"]


def test_a_rebuild_restores_the_discovery_entries(aws: Resources, shelf: dict[str, str]) -> None:
    fresh = create_views_table(aws, "catalog-views-discovery")

    rebuild_views(aws.names.products_table, fresh.table_name, images_base_url="")

    assert sorted(p.name for p in _search(fresh, "ce")) == ["Ceramic Mug", "Ceramic bowl"]


def _search(views: DynamoViewRepository, q: str) -> list[Any]:
    return views.discover(Discovery(query_words=(q,)), None, 50).items


def test_a_filtered_page_examines_at_most_ten_times_the_limit(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    for number in range(30):
        catalog.create(name=f"Plate {number}", sku=f"PLATE-{number}", inventory=0 if number != 29 else 9)
    invoke_projector(stream.read_new())

    wanted = Discovery(availability=AvailabilityFilter.IN_STOCK, query_words=("plate",))
    first = views.discover(wanted, None, 1)
    assert first.examined <= EXAMINED_PER_ITEM * 1
    # The only match is the newest plate: found on the first page.
    assert [p.name for p in first.items] == ["Plate 29"]
    # The rest is examined in bounded pages that may be empty but still say where to resume.
    page = views.discover(wanted, first.resume_after, 1)
    assert page.items == []
    assert page.examined <= EXAMINED_PER_ITEM
    assert page.resume_after is not None


def test_a_rebuild_restores_lost_entries_of_views_that_are_already_current(
    aws: Resources, shelf: dict[str, str], views: DynamoViewRepository
) -> None:
    client = dynamodb_client()
    entries = client.scan(
        TableName=views.table_name,
        FilterExpression="entity = :entity",
        ExpressionAttributeValues={":entity": {"S": DISCOVERY_ENTITY}},
    )["Items"]
    for entry in entries:
        client.delete_item(TableName=views.table_name, Key={"pk": entry["pk"], "sk": entry["sk"]})
    assert names(walk("q=mug")) == []

    summary = rebuild_views(aws.names.products_table, views.table_name, images_base_url="")

    assert summary.views_written == 0
    assert summary.entries_reindexed == len(SHELF)
    assert names(walk("q=mug&sort=name")) == ["Ceramic Mug", "Enamel mug", "Mugwort tea"]
