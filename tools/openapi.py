"""The OpenAPI document of both APIs, generated from the handlers' own resolvers.

Run ``python -m tools.openapi`` (``make openapi``) to rewrite ``docs/openapi.json`` and the event
schemas; a test fails when the committed files differ from what the code generates.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from shared.problems import ProblemDetails
from shared.routes import FUNCTIONS
from tools.environment import placeholder_environment

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPENAPI_PATH = DOCS / "openapi.json"


_ERRORS_BY_API = {
    "admin": {
        400: "Malformed JSON or a rule violation",
        401: "No valid bearer token",
        403: "Not a member of catalog-admins",
        404: "No such product or route",
        405: "Method not allowed here",
        409: "Duplicate SKU, insufficient stock or idempotency-key reuse",
        412: "If-Match names a stale version",
        413: "Body over 64 KiB",
        415: "Body is not JSON",
        429: "Throttled",
        500: "Internal error (no internals disclosed)",
    },
    "public": {
        400: "Bad query parameter or cursor",
        404: "No such product or route",
        405: "Method not allowed",
        429: "Throttled",
        500: "Internal error (no internals disclosed)",
    },
}


def _api_schemas() -> list[tuple[str, dict[str, Any]]]:
    # Handler modules read their configuration at import; documentation needs none of it.
    for name, value in placeholder_environment().items():
        os.environ.setdefault(name, value)
    schemas: list[tuple[str, dict[str, Any]]] = []
    for spec in FUNCTIONS:
        if spec.trigger != "api" or spec.api is None:
            continue
        module = importlib.import_module(spec.handler.rpartition(".")[0])
        schema = module.app.get_openapi_schema(title="catalog", version="1")
        schemas.append((spec.api, schema.model_dump(mode="json", by_alias=True, exclude_none=True)))
    return schemas


def _problem_responses(api: str) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
        for status, description in _ERRORS_BY_API[api].items()
    }


def openapi_document() -> dict[str, Any]:
    """Both APIs in one OpenAPI 3.1 document: admin paths need the Cognito bearer token."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for api, schema in _api_schemas():
        schemas.update(schema.get("components", {}).get("schemas", {}))
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = {k: v for k, v in operation.get("responses", {}).items() if k != "422"}
                operation["responses"] = {**responses, **_problem_responses(api)}
                if api == "admin":
                    operation["security"] = [{"cognito": []}]
                paths.setdefault(path, {})[method] = operation
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["ProblemDetails"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["ProblemDetails"].pop("$defs", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Product catalog",
            "version": "1.0.0",
            "description": "Admin API (/admin, Cognito bearer token) and public catalog API (via the CDN).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def render(document: dict[str, Any]) -> str:
    """The committed text form: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Rewrite docs/openapi.json and the inventory event schemas."""
    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_text(render(openapi_document()))
    print(f"wrote {OPENAPI_PATH}")
    events = importlib.import_module("shared.models.events")
    writer = getattr(events, "write_event_schemas", None)
    if writer is not None:
        writer()


if __name__ == "__main__":
    main()
