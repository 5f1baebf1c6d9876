"""Discovery through the local runtime: admin writes reach sort, filters and search via the edge."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import LocalCatalog, eventually

pytestmark = pytest.mark.e2e

PRODUCTS = [
    {"sku": "E2E-DISC-1", "name": "Crème Brûlée Dish", "category": "e2e-disc", "price": 18.5, "inventory": 9},
    {"sku": "E2E-DISC-2", "name": "Creamer jug", "category": "e2e-disc", "price": 7.25, "inventory": 0},
    {"sku": "E2E-DISC-3", "name": "Cake stand", "category": "e2e-disc", "price": 31, "inventory": 3},
]


def names(catalog: LocalCatalog, query: str) -> list[str]:
    """Names on the first page of ``GET /products?<query>`` (a 200 is required)."""
    reply = catalog.request("GET", f"/products?{query}")
    assert reply.status == 200, reply.body
    return [item["name"] for item in reply.json()["items"]]


def test_shoppers_sort_filter_and_search_what_admins_wrote(catalog: LocalCatalog) -> None:
    for index, body in enumerate(PRODUCTS):
        created = catalog.request(
            "POST", "/admin/products", body, admin=True, headers={"Idempotency-Key": f"e2e-disc-{index}"}
        )
        assert created.status == 201, created.body

    polls: list[Any] = []

    def all_projected() -> list[str] | None:
        # A new cache key each poll (a price floor far below every price, one cent higher each
        # time), so an edge entry of an earlier, incomplete answer cannot hide the projection.
        found = names(catalog, f"category=e2e-disc&sort=price_asc&min_price={len(polls) / 100:.2f}")
        polls.append(found)
        return found if len(found) == len(PRODUCTS) else None

    by_price = eventually(all_projected, what="the three products in the discovery listing")

    assert by_price == ["Creamer jug", "Crème Brûlée Dish", "Cake stand"]
    assert names(catalog, "category=e2e-disc&sort=price_desc") == [
        "Cake stand",
        "Crème Brûlée Dish",
        "Creamer jug",
    ]
    assert names(catalog, "category=e2e-disc&sort=name") == ["Cake stand", "Creamer jug", "Crème Brûlée Dish"]
    assert names(catalog, "q=creme%20BRU") == ["Crème Brûlée Dish"]
    assert names(catalog, "q=cre&availability=in_stock&max_price=20") == ["Crème Brûlée Dish"]
    assert names(catalog, "q=e2e-disc-3") == ["Cake stand"]

    # The edge keys the normalised query: an equivalent spelling is a hit, a bad value a 400.
    first = catalog.request("GET", "/products?q=Cake&sort=name&category=e2e-disc")
    again = catalog.request("GET", "/products?category=e2e-disc&q=%20cake%20&sort=name&limit=20&utm=1")
    assert again.header("X-Cache") == "Hit"
    assert again.body == first.body
    assert catalog.request("GET", "/products?sort=cheapest").status == 400
    assert catalog.request("GET", "/products?min_price=9&max_price=3").status == 400
