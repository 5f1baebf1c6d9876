"""Lambda handler of ``GET|HEAD /categories`` (read views only)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from queries.categories import logic
from queries.common import READ_METHODS, cacheable, config, reject_unknown_parameters, views
from queries.models import CategoryList
from shared.http import api_handler, public_resolver
from shared.snapstart import prime, validation_request

app = public_resolver()


@app.route(
    "/categories",
    method=READ_METHODS,
    summary="List categories with active products",
    responses={200: {"description": "Categories", "content": {"application/json": {"model": CategoryList}}}},
    tags=["public"],
)
def list_categories() -> Response[str]:
    """``GET /categories``: every category with active products, and how many."""
    reject_unknown_parameters(app, ())
    return cacheable(app, logic.list_categories(views()))


handler = api_handler(app)
prime(config, views, validation_request(app, "GET", "/categories", query={"priming": "1"}))
