"""Admin API function: product create, read, replace, patch and delete, and a product's history.

Thin: parse and validate (Powertools + pydantic), call :class:`ProductCommands`, render.
"""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from commands.admin_http import IdempotencyKey, IfMatch, actor, no_content, once, respond, stored
from commands.products import history
from commands.products.logic import ProductCommands
from shared.config import AdminProductsConfig, load_config
from shared.data.event_log import EventLogTable
from shared.data.images import S3ImageStorage
from shared.data.products import DynamoProductStore
from shared.http import admin_resolver, api_handler, documented, expected_version, json_response
from shared.models.product import (
    AdminProduct,
    CreateProductRequest,
    PatchProductRequest,
    Product,
    ReplaceProductRequest,
    admin_view,
)
from shared.observability import metrics
from shared.snapstart import prime, validation_request

config = load_config(AdminProductsConfig)
app = admin_resolver(config.admin_allowed_origins)


@cache
def _commands() -> ProductCommands:
    return ProductCommands(DynamoProductStore(config.products_table_name), images=_images())


@cache
def _event_log() -> EventLogTable:
    return EventLogTable(config.event_log_table_name)


@cache
def _images() -> S3ImageStorage:
    return S3ImageStorage(config.images_bucket_name)


def _rendered(product: Product, status: HTTPStatus = HTTPStatus.OK, **headers: str) -> dict[str, object]:
    def image_url(key: str) -> str:
        return _images().presigned_get(key, config.admin_image_url_ttl_seconds)

    return stored(admin_view(product, image_url), status, product.version, **headers)


@app.post(
    "/admin/products",
    summary="Create a product",
    tags=["admin"],
    responses=documented(HTTPStatus.CREATED, AdminProduct, "The new product"),
)
def create_product(
    body: Annotated[CreateProductRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[str]:
    """201 with the product, `Location` and `ETag`; 409 when the SKU is taken."""
    who = actor(app)

    def create() -> dict[str, object]:
        product = _commands().create(body, who)
        metrics.add_metric(name="ProductsCreated", unit="Count", value=1)
        return _rendered(product, HTTPStatus.CREATED, Location=f"/products/{product.id}")

    return once(app, config, idempotency_key, body.model_dump(mode="json"), create)


@app.get(
    "/admin/products/<id>",
    summary="Read a product (strongly consistent)",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, AdminProduct, "The product"),
)
def get_product(id: str) -> Response[str]:
    """200 with the product as the write model has it now."""
    return respond(_rendered(_commands().get(id)))


@app.put(
    "/admin/products/<id>",
    summary="Replace a product's fields",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, AdminProduct, "The new version"),
)
def replace_product(
    id: str,
    body: Annotated[ReplaceProductRequest, Body()],
    if_match: IfMatch = None,
) -> Response[str]:
    """200 with the new version; 412 when `If-Match` is stale."""
    product = _commands().replace(id, body, actor(app), expected_version(if_match))
    return respond(_rendered(product))


@app.patch(
    "/admin/products/<id>",
    summary="Change some fields (JSON merge patch)",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, AdminProduct, "The new version"),
)
def patch_product(
    id: str,
    body: Annotated[PatchProductRequest, Body()],
    if_match: IfMatch = None,
) -> Response[str]:
    """200 with the new version; 412 when `If-Match` is stale."""
    product = _commands().patch(id, body, actor(app), expected_version(if_match))
    return respond(_rendered(product))


@app.delete(
    "/admin/products/<id>",
    summary="Delete a product",
    tags=["admin"],
    responses=documented(HTTPStatus.NO_CONTENT, None, "Deleted"),
)
def delete_product(id: str, if_match: IfMatch = None) -> Response[str]:
    """204; the product's images are removed from the bucket too."""
    _commands().delete(id, expected_version(if_match))
    metrics.add_metric(name="ProductsDeleted", unit="Count", value=1)
    return no_content()


@app.get(
    "/admin/products/<id>/events",
    summary="A product's events, newest first",
    description="The product's events from the event log, in the envelope subscribers get; "
    "pass next_cursor back as cursor for older events.",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, history.EventHistory, "One page of the product's events"),
)
def product_events(
    id: str,
    type: Annotated[str | None, Query(pattern=history.EVENT_TYPE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=history.MAX_LIMIT)] = history.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=history.MAX_CURSOR_LENGTH)] = None,
) -> Response[str]:
    """200 with a page of events; 404 for a product that never existed (a deleted one keeps its history)."""
    page = history.history_page(_event_log(), id, event_type=type, limit=limit, cursor=cursor)
    if not page.items and cursor is None and type is None:
        _commands().get(id)  # raises the 404 when the product is unknown
    return json_response(page)


handler = api_handler(app)
prime(_commands, _event_log, _images, validation_request(app, "POST", "/admin/products", "{}"))
