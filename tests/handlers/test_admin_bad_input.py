"""Bad input of every kind gets a clear 400/413/415 and writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from local.resources import Resources
from tests.builders import call, product_body


def item_count(aws: Resources) -> int:
    client = boto3.client("dynamodb", region_name=aws.region)
    return int(client.scan(TableName=aws.names.products_table, Select="COUNT")["Count"])


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("missing field", product_body(sku=None), "sku"),
    ("wrong type: name number", product_body(name=42), "name"),
    ("wrong type: inventory string", product_body(inventory="7"), "inventory"),
    ("wrong type: price string", product_body(price="12.50"), "price"),
    ("wrong type: price boolean", product_body(price=True), "price"),
    ("negative price", product_body(price=Decimal("-1")), "price"),
    ("zero price", product_body(price=0), "price"),
    ("three-decimal price", product_body(price=Decimal("1.005")), "price"),
    ("price over the ceiling", product_body(price=Decimal("1000000.01")), "price"),
    ("bad slug: upper case", product_body(category="Kitchen"), "category"),
    ("bad slug: double dash", product_body(category="a--b"), "category"),
    ("bad SKU: leading dash", product_body(sku="-MUG"), "sku"),
    ("bad SKU: space", product_body(sku="MUG 1"), "sku"),
    ("unknown field", product_body(colour="red"), "colour"),
    ("empty name", product_body(name=""), "name"),
    ("blank name", product_body(name="   "), "name"),
    ("control character in name", product_body(name="Mug\u0007"), "name"),
    ("over-long name", product_body(name="n" * 201), "name"),
    ("over-long description", product_body(description="d" * 5001), "description"),
    ("over-long SKU", product_body(sku="S" * 65), "sku"),
    ("bad currency", product_body(currency="usd"), "currency"),
    ("negative inventory", product_body(inventory=-1), "inventory"),
    ("inventory over the maximum", product_body(inventory=1_000_000_001), "inventory"),
    ("fractional inventory", product_body(inventory=Decimal("2.5")), "inventory"),
    ("negative threshold", product_body(low_stock_threshold=-1), "low_stock_threshold"),
    ("unknown status", product_body(status="archived"), "status"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[case for case, _, _ in BAD_BODIES])
def test_invalid_product_is_400_naming_the_field_and_writes_nothing(
    aws: Resources, case: str, body: dict[str, Any], field: str
) -> None:
    response = call("POST", "/admin/products", body)

    assert response.status == 400, case
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 400
    assert field in [error["field"] for error in problem["errors"]]
    assert item_count(aws) == 0


@pytest.mark.parametrize("raw", ["{not json", '{"sku": "A"', "", "[1, 2]", "null", '"text"'])
def test_malformed_or_non_object_json_is_400(aws: Resources, raw: str) -> None:
    response = call("POST", "/admin/products", raw_body=raw)

    assert response.status == 400
    assert item_count(aws) == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_content_type_is_415(aws: Resources, content_type: str) -> None:
    response = call("POST", "/admin/products", product_body(), headers={"Content-Type": content_type})

    assert response.status == 415
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert item_count(aws) == 0


def test_body_over_64_kib_is_413(aws: Resources) -> None:
    response = call("POST", "/admin/products", product_body(description="d" * (65 * 1024)))

    assert response.status == 413
    assert item_count(aws) == 0


def test_bad_input_on_replace_and_patch_changes_nothing(aws: Resources) -> None:
    product = call("POST", "/admin/products", product_body()).json()
    path = f"/admin/products/{product['id']}"

    assert call("PUT", path, product_body(price=Decimal("0.001"))).status == 400
    assert call("PATCH", path, {"category": "Not A Slug"}).status == 400
    assert call("PATCH", path, {"unknown": 1}).status == 400

    assert call("GET", path).json() == product


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"delta": 0},
        {"delta": 1, "set": 2},
        {"set": -1},
        {"delta": "1"},
        {"delta": 1.5},
        {"delta": 1, "reason": ""},
        {"delta": 1, "note": "x"},
    ],
)
def test_invalid_inventory_adjustment_is_400(aws: Resources, body: dict[str, Any]) -> None:
    product = call("POST", "/admin/products", product_body()).json()

    response = call("POST", f"/admin/products/{product['id']}/inventory", body)

    assert response.status == 400
    assert call("GET", f"/admin/products/{product['id']}").json()["version"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "image/gif", "content_length": 10},
        {"content_type": "image/png", "content_length": 0},
        {"content_type": "image/png", "content_length": 5 * 1024 * 1024 + 1},
        {"content_type": "image/png"},
    ],
)
def test_invalid_image_request_is_400(aws: Resources, body: dict[str, Any]) -> None:
    product = call("POST", "/admin/products", product_body()).json()

    assert call("POST", f"/admin/products/{product['id']}/images", body).status == 400


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "tab\there", "caf\u00e9"])
def test_invalid_idempotency_key_is_400(aws: Resources, key: str) -> None:
    response = call("POST", "/admin/products", product_body(), headers={"Idempotency-Key": key})

    assert response.status == 400
    assert item_count(aws) == 0
