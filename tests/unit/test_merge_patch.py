"""JSON merge patch (RFC 7396) on product fields."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands.products.logic import merged_fields
from shared.models.product import PatchProductRequest, Product
from shared.problems import ValidationProblem
from tests.builders import product_body

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def product(**overrides: object) -> Product:
    return Product(**product_body(**overrides), id="01P", version=3, created_at=NOW, updated_at=NOW)


def test_members_sent_replace_members_absent_stay() -> None:
    fields = merged_fields(product(), PatchProductRequest.model_validate({"price": Decimal("3.5")}))

    assert fields.price == Decimal("3.5")
    assert fields.name == "Enamel mug"


def test_null_restores_defaults() -> None:
    patch = PatchProductRequest.model_validate({"description": None, "currency": None, "status": None})

    fields = merged_fields(product(description="x", currency="EUR", status="draft"), patch)

    assert (fields.description, fields.currency, fields.status) == ("", "USD", "active")


@pytest.mark.parametrize("field", ["sku", "name", "category", "price", "inventory"])
def test_null_for_a_required_field_is_rejected(field: str) -> None:
    with pytest.raises(ValidationProblem) as raised:
        merged_fields(product(), PatchProductRequest.model_validate({field: None}))

    assert [e.field for e in raised.value.errors or []] == [field]


def test_empty_patch_keeps_everything() -> None:
    original = product()

    assert merged_fields(original, PatchProductRequest.model_validate({})) == original.fields()
