"""Lambda handler of ``GET /admin/products``: the admin listing, from the read views only.

Thin: validate the query string (Powertools + pydantic), call :func:`logic.list_products`, render.
Reads-your-writes stays ``GET /admin/products/{id}`` (the write model); the listing follows the
projection, a moment behind.
"""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from queries.admin_products import logic
from queries.common import reject_unknown_parameters
from queries.models import AdminProductPage
from shared.config import AdminListingConfig, load_config
from shared.data.admin_listing import AdminFilters, AdminListing
from shared.data.images import S3ImageStorage
from shared.http import admin_resolver, api_handler, documented, json_response
from shared.models.product import CATEGORY_PATTERN, SKU_PATTERN, Availability, ProductStatus
from shared.snapstart import prime, validation_request

config = load_config(AdminListingConfig)
app = admin_resolver(config.admin_allowed_origins)

LIST_PARAMETERS = ("status", "category", "stock", "sku_prefix", "updated_since", "limit", "cursor")


@cache
def _listing() -> AdminListing:
    return AdminListing(config.views_table_name)


@cache
def _images() -> S3ImageStorage:
    return S3ImageStorage(config.images_bucket_name)


def _image_url(key: str) -> str:
    return _images().presigned_get(key, config.admin_image_url_ttl_seconds)


@app.get(
    "/admin/products",
    summary="Browse the catalog (drafts included), most recently changed first",
    description="Every filter combines with every other. A page examines at most 10 x limit products, "
    "so it may hold fewer than limit items while next_cursor is not null; null means the end. "
    "The listing follows the projection; GET /admin/products/{id} reads your writes.",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, AdminProductPage, "A page of products"),
)
def list_products(
    status: Annotated[ProductStatus | None, Query()] = None,
    category: Annotated[str | None, Query(pattern=CATEGORY_PATTERN, min_length=1, max_length=64)] = None,
    stock: Annotated[Availability | None, Query()] = None,
    sku_prefix: Annotated[str | None, Query(pattern=SKU_PATTERN, min_length=1, max_length=64)] = None,
    updated_since: Annotated[
        str | None, Query(description="RFC 3339 date-time with an offset", min_length=1, max_length=64)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=logic.MAX_LIMIT)] = logic.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=logic.MAX_CURSOR_LENGTH)] = None,
) -> Response[str]:
    """``GET /admin/products``: one filtered page of every live product."""
    reject_unknown_parameters(app, LIST_PARAMETERS)
    filters = AdminFilters(
        status=status,
        category=category,
        stock=stock,
        sku_prefix=sku_prefix,
        updated_since=logic.parse_updated_since(updated_since) if updated_since is not None else None,
    )
    page = logic.list_products(_listing(), filters, limit=limit, cursor=cursor, image_url=_image_url)
    return json_response(page, headers={"Cache-Control": "no-store"})


handler = api_handler(app)
prime(_listing, _images, validation_request(app, "GET", "/admin/products", query={"limit": "0"}))
