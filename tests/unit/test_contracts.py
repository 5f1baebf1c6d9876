"""The declared contracts agree with the code: route table, handlers' resolvers, committed OpenAPI."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import pytest

from shared.config import cached_config
from shared.problems import problem_classes
from shared.routes import FUNCTIONS, ROUTES
from tools.openapi import OPENAPI_PATH, openapi_document, render

FUNCTION_PACKAGES = ("commands.", "queries.", "projectors.")


@pytest.fixture(autouse=True, scope="module")
def _handlers_imported_for_documentation_are_forgotten() -> Iterator[None]:
    # The generator imports every API handler under placeholder settings (handlers read their
    # configuration at import). Afterwards the environment, the handler modules it imported and
    # the settings cache are put back, so later tests load the handlers with their own settings.
    environment, modules = dict(os.environ), set(sys.modules)
    yield
    os.environ.clear()
    os.environ.update(environment)
    for name in set(sys.modules) - modules:
        if name.startswith(FUNCTION_PACKAGES):
            del sys.modules[name]
    cached_config.cache_clear()


def test_committed_openapi_document_matches_the_code() -> None:
    generated = render(openapi_document())

    assert OPENAPI_PATH.read_text() == generated, "docs/openapi.json is stale: run `make openapi`"


def test_every_declared_route_is_served_by_its_function_and_nothing_else() -> None:
    document = openapi_document()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method != "head"  # HEAD is the GET route without a body
    }

    assert served == {(route.method, route.path) for route in ROUTES}


def test_every_route_names_a_declared_api_function() -> None:
    api_functions = {spec.key for spec in FUNCTIONS if spec.trigger == "api"}

    assert {route.function for route in ROUTES} == api_functions


def test_admin_operations_require_the_bearer_token_and_public_ones_do_not() -> None:
    for path, operations in openapi_document()["paths"].items():
        for operation in operations.values():
            assert ("security" in operation) == path.startswith("/admin"), path


def test_every_operation_documents_problem_responses_instead_of_422() -> None:
    for path, operations in openapi_document()["paths"].items():
        for operation in operations.values():
            assert "422" not in operation["responses"], path
            problem = operation["responses"]["400"]["content"]
            assert "application/problem+json" in problem, path


def test_request_bodies_reference_the_pydantic_models() -> None:
    document = openapi_document()
    post = document["paths"]["/admin/products"]["post"]
    schema_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    assert schema_ref.endswith("/CreateProductRequest")
    created = document["components"]["schemas"]["CreateProductRequest"]
    assert created["additionalProperties"] is False
    assert json.dumps(created["properties"]["price"]).count('"number"') >= 1


def test_every_problem_type_the_functions_raise_is_documented_on_every_operation_of_its_api() -> None:
    document = openapi_document()  # imports every API handler, so problems beside logic count too
    for path, operations in document["paths"].items():
        admin = path.startswith("/admin")
        for problem in problem_classes(admin=admin):
            for method, operation in operations.items():
                described = operation["responses"][str(int(problem.status))]["description"]
                assert f"`{problem.slug}`" in described, (method, path, problem.slug)


def test_problems_that_once_drifted_from_the_hand_kept_list_are_documented() -> None:
    conflicts = openapi_document()["paths"]["/admin/products/{id}/images"]["post"]["responses"]["409"]

    assert "`image-limit-reached`" in conflicts["description"]
    assert "`request-in-progress`" in conflicts["description"]


def test_public_operations_document_no_admin_only_problem() -> None:
    admin_only = {problem.slug for problem in problem_classes(admin=True) if problem.admin_only}
    for path, operations in openapi_document()["paths"].items():
        if path.startswith("/admin"):
            continue
        for operation in operations.values():
            described = " ".join(response["description"] for response in operation["responses"].values())
            assert not [slug for slug in admin_only if f"`{slug}`" in described], path
