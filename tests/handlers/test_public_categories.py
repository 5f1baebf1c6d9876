"""`GET /categories`: exact counts of active products, empty categories left out."""

from __future__ import annotations

from local.apigw import LocalLambdaContext, rest_event
from local.resources import Resources
from local.streams import StreamReader
from shared.models.product import ProductStatus
from tests.builders import Response, call, handler_for
from tests.stream_builders import Catalog, invoke_projector


def categories(query: str = "", headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    event = rest_event(method, "/categories", resource="/categories", query=query, headers=headers)
    return Response(handler_for("public-categories")(event, LocalLambdaContext()))


def test_categories_count_active_products_sorted_by_name(catalog: Catalog, stream: StreamReader) -> None:
    for category in ("kitchen", "garden", "kitchen", "bath", "kitchen"):
        catalog.create(category=category)
    catalog.create(category="toys", status=ProductStatus.DRAFT)
    invoke_projector(stream.read_new())

    response = call("GET", "/categories", claims=None)

    assert response.status == 200
    assert response.json() == {
        "items": [
            {"category": "bath", "product_count": 1},
            {"category": "garden", "product_count": 1},
            {"category": "kitchen", "product_count": 3},
        ]
    }


def test_a_category_emptied_by_moves_drafts_and_deletes_disappears(
    catalog: Catalog, stream: StreamReader
) -> None:
    moved = catalog.create(category="garden")
    drafted = catalog.create(category="garden")
    deleted = catalog.create(category="garden")
    invoke_projector(stream.read_new())

    catalog.replace(moved.id, category="kitchen")
    catalog.replace(drafted.id, status=ProductStatus.DRAFT)
    catalog.delete(deleted.id)
    invoke_projector(stream.read_new())

    assert categories().json() == {"items": [{"category": "kitchen", "product_count": 1}]}


def test_categories_are_cacheable_with_etag_and_304(catalog: Catalog, stream: StreamReader) -> None:
    catalog.create()
    invoke_projector(stream.read_new())

    first = categories()
    again = categories(headers={"If-None-Match": first.headers["etag"]})
    head = categories(method="HEAD")

    assert first.headers["cache-control"] == "public, max-age=60, s-maxage=300, stale-while-revalidate=60"
    assert first.headers["access-control-allow-origin"] == "*"
    assert (again.status, again.text, again.headers["etag"]) == (304, "", first.headers["etag"])
    assert (head.status, head.text, head.headers["etag"]) == (200, "", first.headers["etag"])


def test_an_empty_catalog_has_no_categories(aws: Resources) -> None:
    assert categories().json() == {"items": []}


def test_categories_take_no_query_parameters(aws: Resources) -> None:
    response = categories("category=kitchen")
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_writing_categories_is_405(aws: Resources) -> None:
    response = categories(method="POST")
    assert response.status == 405
    assert response.headers["content-type"] == "application/problem+json"
