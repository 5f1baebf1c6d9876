"""Lambda handler of ``GET|HEAD /products`` and ``GET|HEAD /products/{id}`` (read views only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from queries.common import (
    READ_METHODS,
    cacheable,
    config,
    cursor_codec,
    cursor_secret,
    not_found,
    reject_unknown_parameters,
    views,
)
from queries.cursor import MAX_CURSOR_LENGTH
from queries.models import ProductPage
from queries.products import logic
from shared.discovery import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    PRICE_FILTER_PATTERN,
    PRICE_FILTER_RULE,
    QUERY_RULE,
    AvailabilityFilter,
    Sort,
)
from shared.http import api_handler, public_resolver
from shared.models.product import CATEGORY_PATTERN, PublicProduct
from shared.routes import PUBLIC_QUERY_PARAMETERS
from shared.snapstart import prime, validation_request

app = public_resolver()


@app.route(
    "/products",
    method=READ_METHODS,
    summary="List, sort, filter and search active products",
    description=(
        "Sorted by sort (ties broken by id); narrowed by category, price range, availability and q "
        "(every word a prefix of a word of the name or SKU, ignoring case and accents). Pass "
        "next_cursor back as cursor with the same parameters. A page examines at most 10 x limit "
        "products, so a filtered page may hold fewer than limit items while next_cursor is not null."
    ),
    responses={
        200: {"description": "A page of products", "content": {"application/json": {"model": ProductPage}}}
    },
    tags=["public"],
)
def list_products(
    category: Annotated[str | None, Query(pattern=CATEGORY_PATTERN, min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
    sort: Annotated[Sort, Query(description="Order; ties are broken by product id.")] = Sort.NEWEST,
    min_price: Annotated[
        str | None, Query(pattern=PRICE_FILTER_PATTERN, max_length=16, description=PRICE_FILTER_RULE)
    ] = None,
    max_price: Annotated[
        str | None, Query(pattern=PRICE_FILTER_PATTERN, max_length=16, description=PRICE_FILTER_RULE)
    ] = None,
    availability: Annotated[
        AvailabilityFilter | None, Query(description="in_stock includes low_stock.")
    ] = None,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH, description=QUERY_RULE)] = None,
) -> Response[str]:
    """``GET /products``: one page of the listing, sorted, filtered and searched as asked."""
    reject_unknown_parameters(app, PUBLIC_QUERY_PARAMETERS)
    wanted = logic.discovery_of(
        sort=sort,
        category=category,
        min_price=None if min_price is None else Decimal(min_price),
        max_price=None if max_price is None else Decimal(max_price),
        availability=availability,
        q=q,
    )
    page = logic.list_products(views(), cursor_codec(), wanted, limit=limit, cursor=cursor)
    return cacheable(app, page)


@app.route(
    "/products/<id>",
    method=READ_METHODS,
    summary="Get an active product",
    responses={
        200: {"description": "The product", "content": {"application/json": {"model": PublicProduct}}},
        404: {"description": "Unknown, draft or deleted product"},
    },
    tags=["public"],
)
def get_product(id: str) -> Response[str]:
    """``GET /products/{id}``: the public view of one active product."""
    reject_unknown_parameters(app, ())
    product = logic.find_product(views(), id)
    if product is None:
        return not_found(f"no product {id}")
    return cacheable(app, product)


handler = api_handler(app)
# The secret holder is built, not read: a restored environment fetches the current value.
prime(config, views, cursor_secret, validation_request(app, "GET", "/products", query={"limit": "0"}))
