"""Admin API function: `POST /admin/products/{id}/inventory`."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from commands.admin_http import IdempotencyKey, IfMatch, actor, once, stored
from commands.inventory.logic import adjust_inventory
from shared.config import AdminInventoryConfig, load_config
from shared.data.products import DynamoProductStore
from shared.http import admin_resolver, api_handler, documented, expected_version
from shared.models.product import InventoryAdjustmentRequest, InventoryLevel
from shared.observability import metrics
from shared.snapstart import prime, validation_request

config = load_config(AdminInventoryConfig)
app = admin_resolver(config.admin_allowed_origins)


@cache
def _store() -> DynamoProductStore:
    return DynamoProductStore(config.products_table_name)


@app.post(
    "/admin/products/<id>/inventory",
    summary="Adjust stock (delta or set)",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, InventoryLevel, "The new stock level"),
)
def post_inventory(
    id: str,
    body: Annotated[InventoryAdjustmentRequest, Body()],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    """200 `{id, inventory, version}`; 409 `insufficient-stock` when stock would go below zero.

    With an `Idempotency-Key`, a retried decrement is applied once and its first response replayed.
    """
    who = actor(app)

    def adjust() -> dict[str, object]:
        product = adjust_inventory(_store(), id, body, who, expected_version(if_match))
        metrics.add_metric(name="InventoryAdjusted", unit="Count", value=1)
        level = InventoryLevel(id=product.id, inventory=product.inventory, version=product.version)
        return stored(level, HTTPStatus.OK, product.version)

    return once(
        app, config, idempotency_key, {"body": body.model_dump(mode="json"), "if_match": if_match}, adjust
    )


handler = api_handler(app)
prime(_store, validation_request(app, "POST", "/admin/products/priming/inventory", "{}"))
