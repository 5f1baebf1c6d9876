"""Shared builders for tests: requests, products, handler invocations."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from local.apigw import LocalLambdaContext, admin_claims, rest_event
from shared.data.views import ProductView, ViewState
from shared.models.product import Availability, PublicProduct
from shared.routes import ROUTES, function

_OUR_PACKAGES = ("shared", "commands", "queries", "projectors")


def reset_process_caches() -> None:
    """Forget every cached client, config and store, as a fresh Lambda process would."""
    for name, module in list(sys.modules.items()):
        if not name.startswith(_OUR_PACKAGES) or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid create/replace body; override any field, or pass ``field=...`` as None to drop it."""
    body: dict[str, Any] = {
        "sku": "MUG-001",
        "name": "Enamel mug",
        "description": "A sturdy camping mug.",
        "category": "kitchen",
        "price": Decimal("12.50"),
        "currency": "USD",
        "inventory": 20,
        "low_stock_threshold": 5,
        "status": "active",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _encode(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return float(obj)
        raise TypeError(type(obj))

    return json.dumps(value, default=default)


def _match(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    for route in ROUTES:
        names = re.findall(r"\{([^}]+)\}", route.path)
        pattern = "^" + re.sub(r"\{[^}]+\}", "([^/]+)", route.path) + "$"
        found = re.match(pattern, path)
        if found and route.method == method:
            return route.function, route.path, dict(zip(names, found.groups(), strict=True))
    # Unknown routes still go to a function that owns the path prefix, to test 404/405 there.
    owner = "admin-products" if path.startswith("/admin") else "public-products"
    return owner, path, {}


class Response:
    """A handler's proxy response, decoded."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = int(raw["statusCode"])
        headers = dict(raw.get("headers") or {})
        for name, values in (raw.get("multiValueHeaders") or {}).items():
            headers.setdefault(name, ",".join(values))
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.text = raw.get("body") or ""

    def json(self) -> Any:
        """The body parsed as JSON, numbers with fractions as Decimal."""
        return json.loads(self.text, parse_float=Decimal)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.text[:300]}>"


def handler_for(function_key: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import the Lambda handler of a function (after moto and the environment are ready)."""
    module_name, _, attribute = function(function_key).handler.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | str | None = "admin",
    raw_body: str | bytes | None = None,
    query: str = "",
) -> Response:
    """Invoke the function that serves ``method path`` with an API Gateway proxy event."""
    function_key, resource, params = _match(method, path)
    all_headers = (
        {"Content-Type": "application/json", **(headers or {})}
        if (body is not None or raw_body is not None)
        else dict(headers or {})
    )
    event = rest_event(
        method,
        path,
        resource=resource,
        path_parameters=params,
        query=query,
        headers=all_headers,
        body=raw_body if raw_body is not None else (_encode(body) if body is not None else None),
        claims=admin_claims() if claims == "admin" else claims,  # type: ignore[arg-type]
    )
    return Response(handler_for(function_key)(event, LocalLambdaContext()))


def active_view(number: int, *, product_id: str, categories: int = 10) -> ProductView:
    """An active product's read view, for seeding large catalogs straight into the views table."""
    category = f"cat-{number % categories}"
    public = PublicProduct(
        id=product_id,
        sku=f"SKU-{number}",
        name=f"Product {number}",
        description="",
        category=category,
        price=Decimal("9.99"),
        currency="USD",
        availability=Availability.IN_STOCK,
        images=[],
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return ProductView(
        product_id=product_id, version=1, state=ViewState.ACTIVE, category=category, public=public
    )


def parse_policy(policy: str) -> dict[str, list[str]]:
    """Directive -> source list of a Content-Security-Policy value; a repeated directive fails the test."""
    directives: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = sources
    return directives
