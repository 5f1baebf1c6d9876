"""Stock adjustments: one atomic conditional update, so concurrent decrements never oversell."""

from __future__ import annotations

from shared.data.products import (
    ProductMissing,
    ProductStore,
    StockChange,
    StockTooHigh,
    StockTooLow,
    WriteConflict,
)
from shared.ids import rfc3339, utc_now
from shared.models.product import MAX_INVENTORY, ChangeRecord, InventoryAdjustmentRequest, Product
from shared.problems import FieldError, InsufficientStock, NotFound, PreconditionFailed, ValidationProblem


def adjust_inventory(
    store: ProductStore,
    product_id: str,
    request: InventoryAdjustmentRequest,
    actor: str,
    expected_version: int | None,
) -> Product:
    """Add `delta` to, or `set`, a product's stock.

    Raises
    ------
    NotFound
        No such product.
    InsufficientStock
        The stock would go below zero (409 `insufficient-stock`); nothing changes.
    PreconditionFailed
        `If-Match` named another version.
    """
    change = StockChange(
        delta=request.delta,
        absolute=request.set,
        change=ChangeRecord(actor=actor, command="inventory", reason=request.reason),
        updated_at=rfc3339(utc_now()),
        expected_version=expected_version,
    )
    try:
        product = store.adjust_stock(product_id, change)
    except ProductMissing as error:
        raise NotFound(f"no product with id '{product_id}'") from error
    except StockTooLow as error:
        raise InsufficientStock(
            f"only {error.available} in stock; a change of {request.delta} would go below zero"
        ) from error
    except StockTooHigh as error:
        raise ValidationProblem(
            f"stock may not exceed {MAX_INVENTORY}", errors=[FieldError(field="delta", message="too large")]
        ) from error
    except WriteConflict as error:
        raise PreconditionFailed("the product is no longer at the version If-Match names") from error
    return product
