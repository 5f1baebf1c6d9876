"""pydantic (JSON Schema 2020-12) -> API Gateway request models (draft-04), and what they accept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from cdk.json_schema import DRAFT_04, SchemaConversionError, request_model_schema, to_draft4
from shared.models.product import (
    CreateProductRequest,
    ImageUploadRequest,
    InventoryAdjustmentRequest,
    PatchProductRequest,
    ReplaceProductRequest,
)
from shared.routes import ROUTES

pytestmark = pytest.mark.infra

VALID_PRODUCT = {"sku": "SKU-1", "name": "Mug", "category": "kitchen", "price": 12.5, "inventory": 3}


def test_numeric_exclusive_bounds_become_draft4_booleans() -> None:
    converted = to_draft4({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10})
    assert converted == {
        "$schema": DRAFT_04,
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 10,
        "exclusiveMaximum": True,
    }


def test_a_stricter_inclusive_bound_makes_the_exclusive_one_redundant() -> None:
    assert to_draft4({"type": "integer", "minimum": 5, "exclusiveMinimum": 0}) == {
        "$schema": DRAFT_04,
        "type": "integer",
        "minimum": 5,
    }


def test_definitions_are_inlined_and_keywords_beside_a_ref_are_kept() -> None:
    schema = {
        "$defs": {"Colour": {"enum": ["red", "blue"], "type": "string"}},
        "properties": {"colour": {"$ref": "#/$defs/Colour", "default": "red"}},
        "type": "object",
    }
    assert to_draft4(schema)["properties"]["colour"] == {
        "enum": ["red", "blue"],
        "type": "string",
        "default": "red",
    }


def test_const_becomes_a_one_value_enum() -> None:
    assert to_draft4({"const": "v1"}) == {"$schema": DRAFT_04, "enum": ["v1"]}


def test_recursive_models_are_refused_rather_than_truncated() -> None:
    class Node(BaseModel):
        children: list[Node] = []

    with pytest.raises(SchemaConversionError, match="recursive"):
        request_model_schema(Node)


def test_keywords_without_a_draft4_equivalent_are_refused() -> None:
    with pytest.raises(SchemaConversionError, match="prefixItems"):
        to_draft4({"type": "array", "prefixItems": [{"type": "string"}]})


@pytest.mark.parametrize(
    "route", [route for route in ROUTES if route.body], ids=lambda route: route.body.__name__
)
def test_every_request_model_is_a_valid_self_contained_draft4_schema(route: Any) -> None:
    schema = request_model_schema(route.body)
    Draft4Validator.check_schema(schema)
    text = json.dumps(schema)
    assert "$ref" not in text
    assert "$defs" not in text
    assert schema["additionalProperties"] is False


# Bodies the gateway must reject (a subset of what pydantic rejects: the gateway checks structure,
# the function checks the rest) and bodies both must accept.
CASES: list[tuple[type[BaseModel], dict[str, Any], bool]] = [
    (CreateProductRequest, VALID_PRODUCT, True),
    (CreateProductRequest, {**VALID_PRODUCT, "status": "draft", "currency": "EUR"}, True),
    (CreateProductRequest, {k: v for k, v in VALID_PRODUCT.items() if k != "sku"}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "colour": "red"}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "price": 0}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "price": 1_000_001}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "price": "12.50"}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "sku": "-starts-with-dash"}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "category": "Not A Slug"}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "inventory": -1}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "inventory": 1.5}, False),
    (CreateProductRequest, {**VALID_PRODUCT, "status": "archived"}, False),
    (ReplaceProductRequest, VALID_PRODUCT, True),
    (PatchProductRequest, {}, True),
    (PatchProductRequest, {"price": 9.99, "description": None}, True),
    (PatchProductRequest, {"status": "archived"}, False),
    (PatchProductRequest, {"unknown": 1}, False),
    (InventoryAdjustmentRequest, {"delta": -2, "reason": "sold"}, True),
    (InventoryAdjustmentRequest, {"set": -1}, False),
    (InventoryAdjustmentRequest, {"delta": "1"}, False),
    (ImageUploadRequest, {"content_type": "image/png", "content_length": 1024}, True),
    (ImageUploadRequest, {"content_type": "image/gif", "content_length": 1024}, False),
    (ImageUploadRequest, {"content_type": "image/png", "content_length": 0}, False),
    (ImageUploadRequest, {"content_type": "image/png", "content_length": 5 * 1024 * 1024 + 1}, False),
]


@pytest.mark.parametrize(
    ("model", "body", "valid"), CASES, ids=lambda value: getattr(value, "__name__", None)
)
def test_the_gateway_model_agrees_with_pydantic(
    model: type[BaseModel], body: dict[str, Any], valid: bool
) -> None:
    gateway_accepts = Draft4Validator(request_model_schema(model)).is_valid(body)
    try:
        model.model_validate_json(json.dumps(body))
        pydantic_accepts = True
    except ValidationError:
        pydantic_accepts = False
    assert (gateway_accepts, pydantic_accepts) == (valid, valid)
