"""Stock adjustments: exact, atomic, never below zero, never applied twice for one request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commands.inventory.logic import adjust_inventory
from local.resources import Resources
from shared.data.products import DynamoProductStore
from shared.models.product import InventoryAdjustmentRequest
from shared.problems import InsufficientStock
from tests.builders import call, product_body


def create(inventory: int = 20) -> dict[str, Any]:
    return call("POST", "/admin/products", product_body(inventory=inventory)).json()  # type: ignore[no-any-return]


def test_delta_adds_and_returns_the_new_level(aws: Resources) -> None:
    product = create(inventory=20)

    response = call("POST", f"/admin/products/{product['id']}/inventory", {"delta": -3, "reason": "sale"})

    assert response.status == 200
    assert response.json() == {"id": product["id"], "inventory": 17, "version": 2}
    assert response.headers["etag"] == '"2"'


def test_set_replaces_the_level(aws: Resources) -> None:
    product = create(inventory=20)

    response = call("POST", f"/admin/products/{product['id']}/inventory", {"set": 0})

    assert response.json()["inventory"] == 0


def test_decrement_below_zero_is_409_insufficient_stock_and_changes_nothing(aws: Resources) -> None:
    product = create(inventory=2)

    response = call("POST", f"/admin/products/{product['id']}/inventory", {"delta": -3})

    assert response.status == 409
    assert response.json()["type"].endswith("/insufficient-stock")
    current = call("GET", f"/admin/products/{product['id']}").json()
    assert (current["inventory"], current["version"]) == (2, 1)


def test_increment_past_the_maximum_is_400_and_changes_nothing(aws: Resources) -> None:
    product = create(inventory=999_999_999)

    response = call("POST", f"/admin/products/{product['id']}/inventory", {"delta": 2})

    assert response.status == 400
    assert call("GET", f"/admin/products/{product['id']}").json()["inventory"] == 999_999_999


def test_the_reason_is_stored_with_the_change(aws: Resources) -> None:
    product = create()
    call(
        "POST", f"/admin/products/{product['id']}/inventory", {"delta": 5, "reason": "restock from supplier"}
    )

    stored = DynamoProductStore(aws.names.products_table).get(product["id"])

    assert stored is not None
    assert stored.last_change is not None
    assert (stored.last_change.command, stored.last_change.reason) == ("inventory", "restock from supplier")


def test_40_concurrent_decrements_on_stock_20_sell_exactly_20(aws: Resources) -> None:
    # Given stock 20 and 40 buyers racing (threads share moto; each has its own store and client)
    product = create(inventory=20)
    request = InventoryAdjustmentRequest(delta=-1)

    def buy(_: int) -> bool:
        store = DynamoProductStore(aws.names.products_table)
        try:
            adjust_inventory(store, product["id"], request, "racer", None)
        except InsufficientStock:
            return False
        return True

    # When all 40 decrement at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(buy, range(40)))

    # Then exactly 20 succeed and stock ends at 0, one version per success
    assert outcomes.count(True) == 20
    final = call("GET", f"/admin/products/{product['id']}").json()
    assert (final["inventory"], final["version"]) == (0, 21)


@pytest.mark.parametrize("attempts", [2, 5])
def test_retried_decrement_with_the_same_key_decrements_once(aws: Resources, attempts: int) -> None:
    product = create(inventory=10)
    path = f"/admin/products/{product['id']}/inventory"

    responses = [
        call("POST", path, {"delta": -4}, headers={"Idempotency-Key": "order-77"}) for _ in range(attempts)
    ]

    assert {r.status for r in responses} == {200}
    assert {r.text for r in responses} == {responses[0].text}
    assert call("GET", f"/admin/products/{product['id']}").json()["inventory"] == 6


def test_failed_adjustment_is_not_remembered_so_its_key_can_be_retried(aws: Resources) -> None:
    product = create(inventory=1)
    path = f"/admin/products/{product['id']}/inventory"
    assert call("POST", path, {"delta": -2}, headers={"Idempotency-Key": "k-1"}).status == 409

    call("POST", path, {"delta": 5})

    assert call("POST", path, {"delta": -2}, headers={"Idempotency-Key": "k-1"}).status == 200
