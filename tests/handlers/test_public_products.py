"""`GET /products` and `GET /products/{id}`: read views only, cacheable, strict about parameters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.apigw import LocalLambdaContext, rest_event
from local.resources import Resources
from local.streams import StreamReader
from shared.data.dynamo import dynamodb_client
from shared.models.product import ProductStatus
from tests.builders import Response, call, handler_for
from tests.stream_builders import Catalog, invoke_projector

CACHE_CONTROL = "public, max-age=60, s-maxage=300, stale-while-revalidate=60"


def get(path: str, query: str = "", headers: dict[str, str] | None = None) -> Response:
    """A shopper's anonymous GET."""
    return call("GET", path, query=query, headers=headers, claims=None)


def walk(query: str = "", limit: int | None = None) -> tuple[list[str], list[Response]]:
    """Follow next_cursor from the first page to the last; the ids seen and every response."""
    ids: list[str] = []
    responses: list[Response] = []
    cursor: str | None = None
    while True:
        parts = [
            p for p in (query, f"limit={limit}" if limit else "", f"cursor={cursor}" if cursor else "") if p
        ]
        response = get("/products", "&".join(parts))
        assert response.status == 200, response
        responses.append(response)
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, responses


@pytest.fixture
def shelf(catalog: Catalog, stream: StreamReader) -> dict[str, Any]:
    """11 kitchen and 4 garden products on sale, plus a draft and a deleted one, projected."""
    kitchen = [catalog.create(category="kitchen", inventory=i) for i in range(11)]
    garden = [catalog.create(category="garden", inventory=10) for _ in range(4)]
    draft = catalog.create(category="kitchen", status=ProductStatus.DRAFT)
    deleted = catalog.create(category="kitchen")
    catalog.delete(deleted.id)
    assert invoke_projector(stream.read_new())["batchItemFailures"] == []
    return {
        "kitchen": [p.id for p in kitchen],
        "garden": [p.id for p in garden],
        "draft": draft.id,
        "deleted": deleted.id,
    }


@pytest.mark.parametrize("limit", [1, 4, 15, 100, None])
def test_paging_walks_every_active_product_exactly_once_newest_first(
    shelf: dict[str, Any], limit: int | None
) -> None:
    ids, responses = walk(limit=limit)
    # Ids are ULIDs, so newest first is descending id order.
    expected = sorted(shelf["kitchen"] + shelf["garden"], reverse=True)
    assert ids == expected
    assert all(len(r.json()["items"]) <= (limit or 20) for r in responses)
    assert responses[-1].json()["next_cursor"] is None


def test_a_last_page_that_is_exactly_full_has_no_next_cursor(shelf: dict[str, Any]) -> None:
    response = get("/products", "category=garden&limit=4")
    assert len(response.json()["items"]) == 4
    assert response.json()["next_cursor"] is None


def test_the_category_filter_pages_through_that_category_only(shelf: dict[str, Any]) -> None:
    ids, _ = walk("category=kitchen", limit=4)
    assert ids == sorted(shelf["kitchen"], reverse=True)
    assert shelf["draft"] not in ids
    assert shelf["deleted"] not in ids


def test_an_unknown_category_is_an_empty_listing(shelf: dict[str, Any]) -> None:
    assert get("/products", "category=toys").json() == {"items": [], "next_cursor": None}


def test_a_cursor_survives_the_product_it_points_at_leaving(
    shelf: dict[str, Any], catalog: Catalog, stream: StreamReader
) -> None:
    first = get("/products", "category=kitchen&limit=3").json()
    catalog.delete(first["items"][-1]["id"])
    invoke_projector(stream.read_new())

    second = get("/products", f"category=kitchen&limit=3&cursor={first['next_cursor']}").json()

    assert [i["id"] for i in second["items"]] == sorted(shelf["kitchen"], reverse=True)[3:6]


def test_listed_products_are_public_documents_with_availability(
    catalog: Catalog, stream: StreamReader
) -> None:
    items = {
        "out": catalog.create(inventory=0, low_stock_threshold=5),
        "low": catalog.create(inventory=4, low_stock_threshold=5),
        "edge": catalog.create(inventory=5, low_stock_threshold=5),
        "in": catalog.create(inventory=50, low_stock_threshold=5),
        "zero-threshold": catalog.create(inventory=1, low_stock_threshold=0),
    }
    invoke_projector(stream.read_new())

    listed = {item["id"]: item for item in get("/products").json()["items"]}

    assert {name: listed[p.id]["availability"] for name, p in items.items()} == {
        "out": "out_of_stock",
        "low": "low_stock",
        "edge": "in_stock",
        "in": "in_stock",
        "zero-threshold": "in_stock",
    }
    assert set(listed[items["low"].id]) == {
        "id",
        "sku",
        "name",
        "description",
        "category",
        "price",
        "currency",
        "availability",
        "images",
        "updated_at",
    }
    assert '"price":12.5' in get(f"/products/{items['low'].id}").text


def test_a_product_reads_with_cache_headers_and_a_strong_etag(shelf: dict[str, Any]) -> None:
    product_id = shelf["garden"][0]

    response = get(f"/products/{product_id}")

    assert response.status == 200
    assert response.json()["id"] == product_id
    assert response.headers["cache-control"] == CACHE_CONTROL
    assert re.fullmatch(r'"[A-Za-z0-9_-]{43}"', response.headers["etag"])
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "set-cookie" not in response.headers
    assert "authorization" not in response.headers.get("vary", "").lower()


@pytest.mark.parametrize("key", ["draft", "deleted", "unknown"])
def test_drafts_deleted_and_unknown_products_are_404s_cached_briefly(shelf: dict[str, Any], key: str) -> None:
    product_id = shelf.get(key, "01JUNKNOWN")

    response = get(f"/products/{product_id}")

    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    max_age = re.fullmatch(r"public, max-age=(\d+), s-maxage=(\d+)", response.headers["cache-control"])
    assert max_age is not None
    assert int(max_age.group(1)) <= 10
    assert int(max_age.group(2)) <= 10


@pytest.mark.parametrize("path", ["/products/{id}", "/products"])
def test_if_none_match_gives_304_without_a_body(shelf: dict[str, Any], path: str) -> None:
    url = path.format(id=shelf["garden"][0])
    first = get(url)

    for header in (
        first.headers["etag"],
        f"W/{first.headers['etag']}",
        f'"other", {first.headers["etag"]}',
        "*",
    ):
        again = get(url, headers={"If-None-Match": header})
        assert again.status == 304, header
        assert again.text == ""
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["cache-control"] == CACHE_CONTROL


def test_a_stale_etag_gets_the_new_representation(
    shelf: dict[str, Any], catalog: Catalog, stream: StreamReader
) -> None:
    product_id = shelf["garden"][0]
    old = get(f"/products/{product_id}")
    catalog.replace(product_id, name="Renamed")
    invoke_projector(stream.read_new())

    fresh = get(f"/products/{product_id}", headers={"If-None-Match": old.headers["etag"]})

    assert fresh.status == 200
    assert fresh.json()["name"] == "Renamed"
    assert fresh.headers["etag"] != old.headers["etag"]


def test_the_same_representation_always_has_the_same_etag(shelf: dict[str, Any]) -> None:
    assert get("/products", "limit=3").headers["etag"] == get("/products", "limit=3").headers["etag"]
    assert get("/products", "limit=3").headers["etag"] != get("/products", "limit=4").headers["etag"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=", "cursor"),
        ("category=Not%20A%20Slug", "category"),
        ("categroy=kitchen", "categroy"),
        ("limit=5&limit=6", "limit"),
        ("sort=cheapest", "sort"),
        ("sort=", "sort"),
        ("min_price=-1", "min_price"),
        ("min_price=1.999", "min_price"),
        ("max_price=abc", "max_price"),
        ("max_price=1e3", "max_price"),
        ("min_price=20&max_price=10", "min_price"),
        ("availability=low_stock", "availability"),
        ("q=a%20b%20c%20d%20e%20f", "q"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_query_parameters_are_400_problems(aws: Resources, query: str, field: str) -> None:
    response = get("/products", query)

    assert response.status == 400, response
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert field in {error["field"] for error in body["errors"]}
    assert response.headers["cache-control"] == "no-store"


def test_a_cursor_from_another_category_is_400(shelf: dict[str, Any]) -> None:
    cursor = get("/products", "category=kitchen&limit=2").json()["next_cursor"]

    for query in (f"category=garden&cursor={cursor}", f"cursor={cursor}"):
        response = get("/products", query)
        assert response.status == 400
        assert "another listing" in response.json()["detail"]


def test_a_tampered_cursor_is_400(shelf: dict[str, Any]) -> None:
    cursor = get("/products", "limit=2").json()["next_cursor"]
    payload, mac = cursor.split(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac

    assert get("/products", f"limit=2&cursor={tampered}").status == 400


def test_detail_takes_no_query_parameters(aws: Resources) -> None:
    assert get("/products/01JANY", "fields=name").status == 400


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/products"), ("PUT", "/products/x"), ("DELETE", "/products/x")]
)
def test_writes_to_public_resources_are_405_problems(aws: Resources, method: str, path: str) -> None:
    response = call(method, path, claims=None)
    assert response.status == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]


def test_unknown_routes_are_404_problems() -> None:
    response = get("/productz")
    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_head_answers_like_get_without_a_body(shelf: dict[str, Any]) -> None:
    product_id = shelf["garden"][0]
    full = get(f"/products/{product_id}")

    for path in (f"/products/{product_id}", "/products"):
        head = call("HEAD", path, claims=None)
        assert head.status == 200
        assert head.text == ""
        assert head.headers["cache-control"] == CACHE_CONTROL
    assert call("HEAD", f"/products/{product_id}", claims=None).headers["etag"] == full.headers["etag"]


def test_cors_preflight_allows_any_origin(aws: Resources) -> None:
    event = rest_event(
        "OPTIONS",
        "/products",
        resource="/products",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"},
    )
    response = Response(handler_for("public-products")(event, LocalLambdaContext()))
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == "*"


def test_an_internal_failure_is_a_500_without_internals(aws: Resources) -> None:
    def explode(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "InternalServerError", "Message": "secret table detail"}}, "Query"
        )

    dynamodb_client().meta.events.register("before-call.dynamodb.Query", explode)

    response = get("/products")

    assert response.status == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]
