"""GET /admin/products/{id}/events: a product's logged events, newest first, filtered and paged."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from local.resources import Resources
from shared.models.events import DEFAULT_SCHEMA_DIRECTORY
from tests.builders import call, product_body
from tests.stream_builders import invoke_projector, stream_reader


def _history(product_id: str, query: str = "") -> Any:
    return call("GET", f"/admin/products/{product_id}/events", query=query)


@pytest.fixture
def busy_product(aws: Resources) -> str:
    """A product created with stock, renamed, then sold out, its records projected."""
    created = call("POST", "/admin/products", product_body(inventory=4, low_stock_threshold=2)).json()
    call("PATCH", f"/admin/products/{created['id']}", {"name": "Renamed mug"})
    call("POST", f"/admin/products/{created['id']}/inventory", {"delta": -4})
    invoke_projector(stream_reader(aws).read_new())
    return str(created["id"])


def test_history_lists_the_events_newest_first_in_the_subscriber_envelope(busy_product: str) -> None:
    response = _history(busy_product)

    assert response.status == 200
    page = response.json()
    assert [(e["type"], e["data"]["version"]) for e in page["items"]] == [
        ("catalog.inventory.depleted.v1", 3),
        ("catalog.inventory.changed.v1", 3),
        ("catalog.product.updated.v1", 3),
        ("catalog.product.updated.v1", 2),
        ("catalog.inventory.changed.v1", 1),
        ("catalog.product.created.v1", 1),
    ]
    assert page["next_cursor"] is None
    for event in page["items"]:
        schema = (DEFAULT_SCHEMA_DIRECTORY / f"{event['type']}.json").read_text()
        jsonschema.validate(event, json.loads(schema))


def test_history_filters_by_type(busy_product: str) -> None:
    page = _history(busy_product, "type=catalog.product.updated.v1").json()
    assert [e["data"]["changed"] for e in page["items"]] == [["inventory"], ["name"]]


def test_history_pages_with_a_cursor_without_repeating_or_skipping(busy_product: str) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = _history(busy_product, query).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    assert seen == [e["id"] for e in _history(busy_product).json()["items"]]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "type=catalog.product.renamed.v1", "cursor=not-a-cursor", "cursor=aDF8eHx5"],
)
def test_bad_history_parameters_are_a_400(busy_product: str, query: str) -> None:
    response = _history(busy_product, query)
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_from_another_products_history_is_a_400(aws: Resources, busy_product: str) -> None:
    other = call("POST", "/admin/products", product_body(sku="OTHER-1")).json()
    invoke_projector(stream_reader(aws).read_new())
    cursor = _history(busy_product, "limit=1").json()["next_cursor"]

    assert _history(other["id"], f"cursor={cursor}").status == 400


def test_an_unknown_product_is_a_404_and_a_deleted_one_keeps_its_history(
    aws: Resources, busy_product: str
) -> None:
    assert _history("01J0000000000000000000000X").status == 404

    call("DELETE", f"/admin/products/{busy_product}")
    invoke_projector(stream_reader(aws).read_new())

    page = _history(busy_product, "limit=1").json()
    assert page["items"][0]["type"] == "catalog.product.deleted.v1"
    assert page["items"][0]["data"]["version"] == 4
