"""Admin product API: every status the contract names, through real API Gateway events on moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from local.resources import Resources
from tests.builders import call, product_body

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def stored_items(aws: Resources) -> list[dict[str, Any]]:
    """Everything in the products table (products and SKU guards)."""
    client = boto3.client("dynamodb", region_name=aws.region)
    return client.scan(TableName=aws.names.products_table)["Items"]


def create(**overrides: Any) -> dict[str, Any]:
    response = call("POST", "/admin/products", product_body(**overrides))
    assert response.status == 201, response
    return response.json()  # type: ignore[no-any-return]


def test_create_returns_201_with_location_etag_and_version_1(aws: Resources) -> None:
    response = call("POST", "/admin/products", product_body(price=Decimal("19.99")))

    assert response.status == 201
    product = response.json()
    assert response.headers["location"] == f"/products/{product['id']}"
    assert response.headers["etag"] == '"1"'
    assert product["version"] == 1
    assert product["price"] == Decimal("19.99")
    assert '"price":19.99' in response.text  # a JSON number, exactly as sent
    assert product["created_at"].endswith("Z")
    assert response.headers["x-request-id"]


def test_create_applies_documented_defaults(aws: Resources) -> None:
    product = create(description=None, currency=None, low_stock_threshold=None, status=None)

    assert (product["description"], product["currency"]) == ("", "USD")
    assert (product["low_stock_threshold"], product["status"], product["images"]) == (5, "active", [])


def test_get_reads_the_write_model_with_etag(aws: Resources) -> None:
    created = create()

    response = call("GET", f"/admin/products/{created['id']}")

    assert response.status == 200
    assert response.json() == created
    assert response.headers["etag"] == '"1"'
    assert response.headers["cache-control"] == "no-store"


def test_put_replaces_every_field_and_bumps_the_version(aws: Resources) -> None:
    created = create()
    replacement = product_body(
        sku="MUG-002",
        name="Steel mug",
        category="outdoor",
        price=9,
        inventory=3,
        description=None,
        low_stock_threshold=None,
    )

    response = call("PUT", f"/admin/products/{created['id']}", replacement, headers={"If-Match": '"1"'})

    assert response.status == 200
    product = response.json()
    assert product["version"] == 2
    assert (product["sku"], product["name"], product["category"]) == ("MUG-002", "Steel mug", "outdoor")
    assert (product["description"], product["low_stock_threshold"]) == ("", 5)  # omitted → default
    assert product["created_at"] == created["created_at"]
    assert response.headers["etag"] == '"2"'


def test_patch_merges_and_null_restores_the_default(aws: Resources) -> None:
    created = create(low_stock_threshold=9)

    response = call(
        "PATCH",
        f"/admin/products/{created['id']}",
        {"name": "Renamed", "low_stock_threshold": None},
        headers=MERGE_PATCH,
    )

    assert response.status == 200
    product = response.json()
    assert (product["name"], product["low_stock_threshold"], product["version"]) == ("Renamed", 5, 2)
    assert product["price"] == created["price"]


def test_patch_accepts_plain_json_content_type(aws: Resources) -> None:
    created = create()

    response = call("PATCH", f"/admin/products/{created['id']}", {"status": "draft"})

    assert response.status == 200
    assert response.json()["status"] == "draft"


def test_patch_rejects_null_for_a_required_field_and_writes_nothing(aws: Resources) -> None:
    created = create()

    response = call("PATCH", f"/admin/products/{created['id']}", {"price": None}, headers=MERGE_PATCH)

    assert response.status == 400
    assert response.json()["errors"] == [{"field": "price", "message": "is required"}]
    assert call("GET", f"/admin/products/{created['id']}").json()["version"] == 1


def test_delete_returns_204_and_the_product_is_gone(aws: Resources) -> None:
    created = create()

    response = call("DELETE", f"/admin/products/{created['id']}")

    assert response.status == 204
    assert response.text == ""
    assert call("GET", f"/admin/products/{created['id']}").status == 404
    assert stored_items(aws) == []  # the SKU guard went with it


def test_deleted_sku_can_be_reused(aws: Resources) -> None:
    created = create(sku="REUSED")
    call("DELETE", f"/admin/products/{created['id']}")

    assert call("POST", "/admin/products", product_body(sku="REUSED")).status == 201


def test_duplicate_sku_on_create_is_409_and_writes_nothing(aws: Resources) -> None:
    create(sku="DUP-1")
    before = stored_items(aws)

    response = call("POST", "/admin/products", product_body(sku="DUP-1", name="Other"))

    assert response.status == 409
    assert response.json()["type"].endswith("/duplicate-sku")
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_items(aws) == before


def test_changing_sku_to_a_taken_one_is_409_and_keeps_both(aws: Resources) -> None:
    first = create(sku="FIRST")
    create(sku="SECOND")

    response = call("PATCH", f"/admin/products/{first['id']}", {"sku": "SECOND"}, headers=MERGE_PATCH)

    assert response.status == 409
    assert call("GET", f"/admin/products/{first['id']}").json()["sku"] == "FIRST"


def test_changing_sku_frees_the_old_one(aws: Resources) -> None:
    first = create(sku="OLD-SKU")

    assert (
        call("PATCH", f"/admin/products/{first['id']}", {"sku": "NEW-SKU"}, headers=MERGE_PATCH).status == 200
    )
    assert call("POST", "/admin/products", product_body(sku="OLD-SKU")).status == 201
    assert call("POST", "/admin/products", product_body(sku="NEW-SKU")).status == 409


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PUT", "", product_body()),
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/inventory", {"delta": 1}),
    ],
)
def test_stale_if_match_is_412_and_changes_nothing(
    aws: Resources, method: str, suffix: str, body: Any
) -> None:
    created = create()
    call("PATCH", f"/admin/products/{created['id']}", {"name": "v2"}, headers=MERGE_PATCH)

    response = call(method, f"/admin/products/{created['id']}{suffix}", body, headers={"If-Match": '"1"'})

    assert response.status == 412
    assert response.json()["status"] == 412
    current = call("GET", f"/admin/products/{created['id']}").json()
    assert (current["version"], current["name"]) == (2, "v2")


def test_matching_if_match_and_wildcard_both_apply(aws: Resources) -> None:
    created = create()
    path = f"/admin/products/{created['id']}"

    assert call("PATCH", path, {"name": "a"}, headers={"If-Match": '"1"'}).status == 200
    assert call("PATCH", path, {"name": "b"}, headers={"If-Match": "*"}).status == 200
    assert call("PATCH", path, {"name": "c"}, headers={"If-Match": 'W/"3"'}).status == 200


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", product_body()),
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/inventory", {"delta": 1}),
        ("POST", "/images", {"content_type": "image/png", "content_length": 10}),
        ("DELETE", "/images/01ABC", None),
    ],
)
def test_unknown_product_is_404_on_every_call(aws: Resources, method: str, suffix: str, body: Any) -> None:
    response = call(method, f"/admin/products/01NOSUCHPRODUCT{suffix}", body)

    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_missing_identity_is_401(aws: Resources) -> None:
    response = call("POST", "/admin/products", product_body(), claims=None)

    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert stored_items(aws) == []


def test_authenticated_non_admin_is_403(aws: Resources) -> None:
    response = call(
        "POST",
        "/admin/products",
        product_body(),
        claims={"sub": "u-1", "cognito:username": "shopper", "cognito:groups": "customers"},
    )

    assert response.status == 403
    assert stored_items(aws) == []


@pytest.mark.parametrize("groups", ["catalog-admins", "[catalog-admins editors]", "editors,catalog-admins"])
def test_admin_group_claim_is_recognised_in_every_rendering(aws: Resources, groups: str) -> None:
    claims = {"sub": "u-2", "cognito:username": "ana", "cognito:groups": groups}

    assert call("POST", "/admin/products", product_body(), claims=claims).status == 201


def test_unsupported_method_is_405_with_allow(aws: Resources) -> None:
    response = call("PUT", "/admin/products", product_body())

    assert response.status == 405
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize("product_id", ["\x00", "a\x01b", "\x7f"])
def test_an_id_with_control_characters_is_a_404_not_a_405(aws: Resources, product_id: str) -> None:
    response = call("GET", f"/admin/products/{product_id}")

    assert response.status == 404
    assert response.json()["status"] == 404


def test_unknown_route_is_404_problem(aws: Resources) -> None:
    response = call("GET", "/admin/nothing-here")

    assert response.status == 404
    assert response.json()["title"] == "Not Found"


def test_the_actor_is_recorded_on_each_change(aws: Resources) -> None:
    claims = {"sub": "u-3", "cognito:username": "maria", "cognito:groups": "catalog-admins"}
    created = call("POST", "/admin/products", product_body(), claims=claims).json()

    item = boto3.client("dynamodb", region_name=aws.region).get_item(
        TableName=aws.names.products_table, Key={"pk": {"S": f"PRODUCT#{created['id']}"}}
    )["Item"]

    assert item["last_change"]["M"]["actor"] == {"S": "maria"}
    assert item["last_change"]["M"]["command"] == {"S": "create"}


def test_unexpected_failure_is_500_without_internals(aws: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    from commands.products.logic import ProductCommands

    def explode(*_: Any) -> None:
        raise RuntimeError("secret internal detail: table xyz")

    monkeypatch.setattr(ProductCommands, "create", explode)

    response = call("POST", "/admin/products", product_body())

    assert response.status == 500
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["detail"].startswith("the request could not be completed")
