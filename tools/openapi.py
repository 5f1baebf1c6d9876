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

from shared.problems import PROBLEM_CONTENT_TYPE, Problem, ProblemDetails, problem_classes
from shared.routes import FUNCTIONS
from tools.environment import placeholder_environment

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPENAPI_PATH = DOCS / "openapi.json"


# Where a response hands out an id another operation takes: OpenAPI links, so clients (and the
# stateful fuzzing in the test suite) can follow them. (method, path, status) -> target and parameters.
_LINKS: dict[tuple[str, str, str], tuple[str, str, str, dict[str, str]]] = {
    ("post", "/admin/products", "201"): (
        "GetCreatedProduct",
        "get",
        "/admin/products/{id}",
        {"id": "$response.body#/id"},
    ),
    ("get", "/products", "200"): (
        "GetFirstListedProduct",
        "get",
        "/products/{id}",
        {"id": "$response.body#/items/0/id"},
    ),
}


def _add_links(paths: dict[str, Any]) -> None:
    for (method, path, status), (name, target_method, target_path, parameters) in _LINKS.items():
        response = paths[path][method]["responses"][status]
        target = paths[target_path][target_method]["operationId"]
        response.setdefault("links", {})[name] = {"operationId": target, "parameters": parameters}


def _without_body_on_204(operation: dict[str, Any]) -> None:
    # 204 No Content has no body by definition; the resolver documents its empty string as one.
    no_content = operation.get("responses", {}).get("204")
    if no_content is not None:
        no_content.pop("content", None)


def _headers_are_never_null(operation: dict[str, Any]) -> None:
    # An optional header is absent or a string; the resolver's `str | None` documents a JSON null,
    # which a header cannot carry (a client would send the text "null").
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        variants = schema.get("anyOf", [])
        if parameter.get("in") == "header" and {"type": "null"} in variants:
            (kept,) = [variant for variant in variants if variant != {"type": "null"}]
            del schema["anyOf"]
            schema.update(kept)


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


def _summary(problem: type[Problem]) -> str:
    # A problem's docstring starts "<status>: <when it is answered>".
    first_line = (problem.__doc__ or "").strip().splitlines()[0]
    return f"{first_line.partition(': ')[2].rstrip('.')} (`{problem.slug}`)"


def _problem_responses(api: str) -> dict[str, Any]:
    """One response per status the API can answer with a problem, listing every problem type."""
    by_status: dict[int, list[str]] = {}
    for problem in problem_classes(admin=api == "admin"):
        by_status.setdefault(int(problem.status), []).append(_summary(problem))
    return {
        str(status): {
            "description": "; ".join(summaries),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status, summaries in sorted(by_status.items())
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
                _without_body_on_204(operation)
                _headers_are_never_null(operation)
                if api == "admin":
                    operation["security"] = [{"cognito": []}]
                paths.setdefault(path, {})[method] = operation
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    _add_links(paths)
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
