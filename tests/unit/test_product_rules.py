"""Product rules as properties: any valid product round-trips unchanged; any violation is rejected."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.models.product import (
    Availability,
    CreateProductRequest,
    InventoryAdjustmentRequest,
    availability_of,
    parse_json,
)
from tests.builders import product_body

skus = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
categories = (
    st.lists(st.from_regex(r"\A[a-z0-9]{1,8}\Z"), min_size=1, max_size=4)
    .map("-".join)
    .filter(lambda slug: len(slug) <= 64)
)
names = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x7f"),
        min_size=1,
        max_size=200,
    )
    .map(str.strip)
    .filter(bool)
)
prices = st.integers(min_value=1, max_value=100_000_000).map(lambda cents: Decimal(cents) / 100)
valid_products = st.fixed_dictionaries(
    {
        "sku": skus,
        "name": names,
        "category": categories,
        "price": prices,
        "inventory": st.integers(0, 1_000_000_000),
    },
    optional={
        "description": st.text(max_size=300),
        "currency": st.from_regex(r"\A[A-Z]{3}\Z"),
        "low_stock_threshold": st.integers(0, 10_000),
        "status": st.sampled_from(["active", "draft"]),
    },
)


def as_json_number(value: Decimal) -> str:
    """Serialise a Decimal the way a client would write it in JSON."""
    return format(value, "f")


def through_the_wire(body: dict[str, Any]) -> dict[str, Any]:
    """Encode a body as JSON text and parse it as the handlers do (floats as Decimal)."""
    text = (
        json.dumps(body, default=lambda d: f"@@{as_json_number(d)}@@").replace('"@@', "").replace('@@"', "")
    )
    return parse_json(text)  # type: ignore[no-any-return]


@settings(max_examples=200, deadline=None)
@given(valid_products)
def test_any_valid_product_round_trips_unchanged(body: dict[str, Any]) -> None:
    request = CreateProductRequest.model_validate(through_the_wire(body))

    echoed = parse_json(request.model_dump_json())
    again = CreateProductRequest.model_validate(echoed)

    assert again == request
    assert again.price == body["price"]  # exact: never a binary float
    for field, value in body.items():
        if field != "price":
            assert echoed[field] == value


INVALID_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "sku": st.one_of(
        st.just(""),
        st.text(min_size=65, max_size=80, alphabet="A"),
        st.from_regex(r"\A[-._][A-Z]{0,5}\Z"),
        st.integers(),
        st.just("A B"),
    ),
    "name": st.one_of(
        st.just(""),
        st.just("   "),
        st.text(min_size=201, max_size=260, alphabet="x"),
        st.just("bell\x07"),
        st.integers(),
    ),
    "category": st.one_of(
        st.just(""), st.from_regex(r"\A[A-Z][a-z]{0,5}\Z"), st.just("a--b"), st.just("-a"), st.just("a_b")
    ),
    "price": st.one_of(
        st.integers(max_value=0).map(Decimal),
        st.just(Decimal("0.001")),
        st.integers(1, 10**6).map(lambda n: Decimal(n) + Decimal("0.005")),
        st.just(Decimal("1000000.01")),
        st.text(max_size=5),
        st.booleans(),
    ),
    "currency": st.one_of(st.from_regex(r"\A[a-z]{3}\Z"), st.just("US"), st.just("USDX")),
    "inventory": st.one_of(
        st.integers(max_value=-1), st.integers(min_value=1_000_000_001), st.just("5"), st.just(Decimal("1.5"))
    ),
    "low_stock_threshold": st.one_of(st.integers(max_value=-1), st.just("3")),
    "status": st.text(max_size=10).filter(lambda s: s not in ("active", "draft")),
}


@settings(max_examples=200, deadline=None)
@given(
    valid_products,
    st.sampled_from(sorted(INVALID_VALUES)).flatmap(lambda f: st.tuples(st.just(f), INVALID_VALUES[f])),
)
def test_any_rule_violation_is_rejected_naming_the_field(
    body: dict[str, Any], violation: tuple[str, Any]
) -> None:
    field, value = violation

    with pytest.raises(ValidationError) as raised:
        CreateProductRequest.model_validate({**body, field: value})

    assert field in {str(error["loc"][0]) for error in raised.value.errors()}


@given(
    valid_products,
    st.from_regex(r"\A[a-z_]{1,12}\Z").filter(lambda f: f not in CreateProductRequest.model_fields),
)
def test_unknown_fields_are_rejected(body: dict[str, Any], unknown: str) -> None:
    with pytest.raises(ValidationError):
        CreateProductRequest.model_validate({**body, unknown: 1})


@pytest.mark.parametrize(
    ("sent", "stored"), [("20", "20"), ("20.00", "20"), ("19.90", "19.9"), ("0.01", "0.01"), ("1e2", "100")]
)
def test_equal_prices_have_one_canonical_form(sent: str, stored: str) -> None:
    request = CreateProductRequest.model_validate(
        parse_json(json.dumps(product_body(price=None)).replace("}", f', "price": {sent}}}'))
    )

    assert str(request.price) == stored


@pytest.mark.parametrize(
    ("inventory", "threshold", "expected"),
    [
        (0, 5, Availability.OUT_OF_STOCK),
        (1, 5, Availability.LOW_STOCK),
        (4, 5, Availability.LOW_STOCK),
        (5, 5, Availability.IN_STOCK),
        (3, 0, Availability.IN_STOCK),
        (0, 0, Availability.OUT_OF_STOCK),
    ],
)
def test_availability_is_low_strictly_between_zero_and_threshold(
    inventory: int, threshold: int, expected: Availability
) -> None:
    assert availability_of(inventory, threshold) is expected


def test_name_is_trimmed_before_its_length_is_checked() -> None:
    request = CreateProductRequest.model_validate(product_body(name="  " + "n" * 200 + "  "))

    assert request.name == "n" * 200


@pytest.mark.parametrize("body", [{"delta": 3}, {"set": 0}, {"delta": -2, "reason": "damaged"}])
def test_valid_inventory_adjustments_are_accepted(body: dict[str, Any]) -> None:
    assert InventoryAdjustmentRequest.model_validate(body)


@pytest.mark.parametrize(
    ("sent", "rendered"), [("89", "89"), ("199.00", "199"), ("19.90", "19.9"), ("0.05", "0.05")]
)
def test_prices_render_as_the_shortest_exact_json_number(sent: str, rendered: str) -> None:
    body = json.dumps(product_body(price=None)).replace("}", f', "price": {sent}}}')

    text = CreateProductRequest.model_validate(parse_json(body)).model_dump_json()

    assert f'"price":{rendered},' in text


def test_every_accepted_image_type_has_a_byte_signature_and_no_other_type_does() -> None:
    from commands.images.logic import SIGNATURES
    from shared.models.product import IMAGE_CONTENT_TYPES, ImageUploadRequest

    schema = ImageUploadRequest.model_json_schema()["properties"]["content_type"]

    assert set(SIGNATURES) == set(IMAGE_CONTENT_TYPES)
    assert set(schema["enum"]) == set(IMAGE_CONTENT_TYPES)
