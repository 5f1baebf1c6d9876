"""`GET /admin/products`: every filter and combination, newest first, bounded pages, strict input."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta, timezone

import boto3
import pytest

from local.resources import Resources
from local.streams import StreamReader
from projectors.catalog.projection import view_of
from shared.data.admin_listing import AdminFilters, AdminListing, sort_timestamp
from shared.data.views import DynamoViewRepository
from shared.models.product import Availability, Product, ProductStatus, availability_of
from tests.builders import Response, call
from tests.stream_builders import Catalog, invoke_projector
from tools.rebuild_views import rebuild_views


def listing(query: str = "") -> Response:
    """An admin's GET of the listing."""
    return call("GET", "/admin/products", query=query)


def walk(query: str, limit: int) -> list[str]:
    """Follow next_cursor to the end; every id seen, in order (repeats kept, so tests see them)."""
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(200):
        page = listing(
            "&".join(p for p in (query, f"limit={limit}", f"cursor={cursor}" if cursor else "") if p)
        )
        assert page.status == 200, page
        body = page.json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the listing never ended")


def newest_first(products: list[Product], keep: Callable[[Product], bool]) -> list[str]:
    """What the listing must answer: matching products, most recently changed first."""
    chosen = [p for p in products if keep(p)]
    return [p.id for p in sorted(chosen, key=lambda p: (p.updated_at, p.id), reverse=True)]


@pytest.fixture
def shelf(catalog: Catalog, stream: StreamReader) -> list[Product]:
    """18 live products over 3 categories, both statuses, all three stock levels; one deleted."""
    skus = itertools.count()
    for category, status, inventory in itertools.product(
        ("kitchen", "garden", "tools"), (ProductStatus.ACTIVE, ProductStatus.DRAFT), (0, 3, 40)
    ):
        catalog.create(
            sku=f"{category[:3].upper()}-{next(skus):03d}",
            category=category,
            status=status,
            inventory=inventory,
        )
    gone = catalog.create(sku="GONE-1", category="kitchen")
    catalog.delete(gone.id)
    first = next(iter(catalog.products))
    catalog.replace(first, name="Renamed last")  # the oldest create becomes the newest change
    assert invoke_projector(stream.read_new())["batchItemFailures"] == []
    return list(catalog.products.values())


def test_lists_every_live_product_drafts_included_most_recently_changed_first(shelf: list[Product]) -> None:
    body = listing("limit=100").json()

    assert [item["id"] for item in body["items"]] == newest_first(shelf, lambda p: True)
    assert body["items"][0]["name"] == "Renamed last"
    assert body["next_cursor"] is None
    assert {item["status"] for item in body["items"]} == {"active", "draft"}
    assert "GONE-1" not in {item["sku"] for item in body["items"]}


FILTERS: dict[str, tuple[str, Callable[[Product, Product], bool]]] = {
    # name: (query, rule given the product and a reference product for updated_since)
    "status": ("status=draft", lambda p, _: p.status is ProductStatus.DRAFT),
    "category": ("category=garden", lambda p, _: p.category == "garden"),
    "stock": ("stock=low_stock", lambda p, _: _stock(p) is Availability.LOW_STOCK),
    "sku_prefix": ("sku_prefix=KIT-00", lambda p, _: p.sku.startswith("KIT-00")),
    "updated_since": ("", lambda p, ref: p.updated_at >= ref.updated_at),
}


def _stock(product: Product) -> Availability:
    return availability_of(product.inventory, product.low_stock_threshold)


def _query(names: tuple[str, ...], reference: Product) -> str:
    parts = []
    for name in names:
        query = FILTERS[name][0]
        parts.append(query or f"updated_since={sort_timestamp(reference.updated_at)}")
    return "&".join(parts)


COMBINATIONS = [combo for size in range(1, 6) for combo in itertools.combinations(FILTERS, size)]


@pytest.mark.parametrize("names", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_every_filter_combination_answers_exactly_the_matching_products_in_order(
    shelf: list[Product], names: tuple[str, ...]
) -> None:
    reference = sorted(shelf, key=lambda p: p.updated_at)[len(shelf) // 3]
    expected = newest_first(shelf, lambda p: all(FILTERS[name][1](p, reference) for name in names))

    assert walk(_query(names, reference), limit=2) == expected


def test_paging_with_a_small_limit_neither_repeats_nor_skips(shelf: list[Product]) -> None:
    ids = walk("", limit=3)

    assert ids == newest_first(shelf, lambda p: True)
    assert len(ids) == len(set(ids))


def test_updated_since_accepts_any_offset_and_is_inclusive(shelf: list[Product]) -> None:
    reference = sorted(shelf, key=lambda p: p.updated_at)[-4]
    shifted = reference.updated_at.astimezone(timezone(timedelta(hours=2)))

    body = listing(f"updated_since={shifted.isoformat().replace('+', '%2B')}&limit=100").json()

    assert [item["id"] for item in body["items"]] == newest_first(
        shelf, lambda p: p.updated_at >= reference.updated_at
    )


def test_a_write_moves_the_product_to_the_top_after_projection(
    shelf: list[Product], catalog: Catalog, stream: StreamReader
) -> None:
    last = newest_first(shelf, lambda p: True)[-1]
    catalog.adjust(last, delta=1)
    assert invoke_projector(stream.read_new())["batchItemFailures"] == []

    assert listing("limit=1").json()["items"][0]["id"] == last


def test_a_page_examines_at_most_ten_times_limit_and_says_there_is_more(
    aws: Resources, catalog: Catalog, stream: StreamReader
) -> None:
    for number in range(30):
        catalog.create(sku=f"MANY-{number:03d}", category="bulk", inventory=40)
    catalog.create(sku="RARE-1", category="bulk", inventory=0)  # created last: the newest
    for number in range(30, 55):
        catalog.create(sku=f"MANY-{number:03d}", category="bulk", inventory=40)
    assert invoke_projector(stream.read_new())["batchItemFailures"] == []

    first = listing("sku_prefix=RARE&limit=2").json()
    second = listing(f"sku_prefix=RARE&limit=2&cursor={first['next_cursor']}").json()
    page = AdminListing(aws.names.views_table, boto3.client("dynamodb", region_name=aws.region)).page(
        AdminFilters(sku_prefix="RARE"), None, 2, 20
    )

    # 25 newer non-matching products, then RARE-1: the first 20 examined hold nothing.
    assert first["items"] == []
    assert first["next_cursor"] is not None
    assert [item["sku"] for item in second["items"]] == ["RARE-1"]
    assert page.examined == 20


@pytest.mark.parametrize(
    "query",
    [
        "status=archived",
        "category=Not A Slug",
        "stock=some",
        "sku_prefix=-bad",
        "updated_since=2026-01-01",
        "updated_since=2026-01-01T00:00:00",
        "updated_since=2026-02-30T00:00:00Z",
        "limit=0",
        "limit=101",
        "cursor=garbage",
        "colour=red",
    ],
)
def test_bad_parameters_are_400_problems(shelf: list[Product], query: str) -> None:
    response = listing(query)

    assert response.status == 400, response
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_only_works_with_the_filters_it_was_issued_for(shelf: list[Product]) -> None:
    cursor = listing("status=active&limit=1").json()["next_cursor"]

    other = listing(f"status=draft&limit=1&cursor={cursor}")
    same = listing(f"status=active&limit=1&cursor={cursor}")

    assert other.status == 400
    assert other.json()["errors"][0]["field"] == "cursor"
    assert same.status == 200


def test_non_admins_cannot_browse(shelf: list[Product]) -> None:
    assert call("GET", "/admin/products", claims=None).status in (401, 403)


def test_rebuild_fills_in_the_listing_of_views_written_before_it_existed(
    aws: Resources, catalog: Catalog, views: DynamoViewRepository
) -> None:
    products = [
        catalog.create(sku=f"OLD-{n}", status=ProductStatus.DRAFT if n else ProductStatus.ACTIVE)
        for n in range(3)
    ]
    views.put_views(replace(view_of(product, ""), admin=None) for product in products)
    assert listing().json()["items"] == []

    summary = rebuild_views(aws.names.products_table, aws.names.views_table, images_base_url="")

    assert summary.views_written == 3
    assert [item["id"] for item in listing().json()["items"]] == newest_first(products, lambda p: True)
    assert (
        rebuild_views(aws.names.products_table, aws.names.views_table, images_base_url="").views_written == 0
    )
