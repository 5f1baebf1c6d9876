"""The local API Gateway: routing, the dev-token authorizer, proxy events and gateway responses."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest

from local.apigw import admin_claims
from local.gateway import ApiGateway, FunctionHost, bearer_token, http_response
from local.resources import Resources
from local.web import HttpRequest
from shared.config import PublicApiConfig
from shared.routes import FunctionSpec, Route

TOKEN = "dev-token"


class Functions:
    """Stands in for the function host: records events, answers with a canned proxy response."""

    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.result = result if result is not None else {"statusCode": 200, "headers": {}, "body": "{}"}
        self.error = error

    def invoke(self, key: str, event: dict[str, Any]) -> Any:
        self.calls.append((key, event))
        if self.error is not None:
            raise self.error
        return self.result


def request(
    method: str, path: str, *, token: str | None = None, body: bytes = b"", query: str = ""
) -> HttpRequest:
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if token is not None:
        headers.append(("Authorization", f"Bearer {token}"))
    return HttpRequest(method=method, path=path, query=query, headers=tuple(headers), body=body)


def problem(response: Any) -> dict[str, Any]:
    assert response.header("Content-Type") == "application/problem+json"
    assert response.header("X-Request-Id")
    return json.loads(response.body)  # type: ignore[no-any-return]


def test_admin_route_without_a_token_is_401_and_never_reaches_the_function() -> None:
    functions = Functions()
    gateway = ApiGateway(functions, TOKEN)

    missing = gateway(request("GET", "/admin/products/p1"))
    wrong = gateway(request("GET", "/admin/products/p1", token="guess"))
    basic = gateway(HttpRequest("GET", "/admin/products/p1", headers=(("Authorization", f"Basic {TOKEN}"),)))

    for response in (missing, wrong, basic):
        assert response.status == 401
        assert problem(response)["status"] == 401
        assert (
            response.header(
                "WWW-Authenticate",
            )
            is not None
        )
    assert functions.calls == []


def test_admin_route_with_the_dev_token_carries_the_admin_claims_as_cognito_sets_them() -> None:
    functions = Functions()
    gateway = ApiGateway(functions, TOKEN)

    response = gateway(request("PUT", "/admin/products/p%201", token=TOKEN, body=b'{"a": 1}', query="x=1"))

    assert response.status == 200
    [(key, event)] = functions.calls
    assert key == "admin-products"
    assert event["resource"] == "/admin/products/{id}"
    assert event["pathParameters"] == {"id": "p 1"}
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["body"] == '{"a": 1}'
    assert event["requestContext"]["authorizer"]["claims"] == admin_claims()
    # The request id the function logs is the one the client sees.
    assert response.header("X-Request-Id") == event["requestContext"]["requestId"]


def test_public_routes_need_no_token_and_carry_no_claims() -> None:
    functions = Functions()
    gateway = ApiGateway(functions, TOKEN)

    gateway(request("GET", "/categories"))
    gateway(request("GET", "/products/p1/"))

    assert [key for key, _ in functions.calls] == ["public-categories", "public-products"]
    assert functions.calls[0][1]["requestContext"]["authorizer"] is None
    assert functions.calls[1][1]["pathParameters"] == {"id": "p1"}


@pytest.mark.parametrize("path", ["/", "/nowhere", "/admin", "/admin/products/p1/extra/more"])
def test_unknown_resources_are_404_problems(path: str) -> None:
    functions = Functions()

    response = ApiGateway(functions, TOKEN)(request("GET", path, token=TOKEN))

    assert response.status == 404
    assert problem(response)["status"] == 404
    assert functions.calls == []


def test_a_method_the_resource_lacks_is_a_405_problem_naming_the_allowed_ones() -> None:
    functions = Functions()

    response = ApiGateway(functions, TOKEN)(request("PATCH", "/admin/products", token=TOKEN))

    assert response.status == 405
    assert response.header("Allow") == "GET, POST, OPTIONS"
    assert problem(response)["status"] == 405
    assert functions.calls == []


def test_cors_preflight_reaches_the_owning_function_without_a_token() -> None:
    functions = Functions(
        result={"statusCode": 204, "headers": {"Access-Control-Allow-Origin": "x"}, "body": ""}
    )

    response = ApiGateway(functions, TOKEN)(request("OPTIONS", "/admin/products/p1/inventory"))

    assert response.status == 204
    assert functions.calls[0][0] == "admin-inventory"


def test_a_function_that_raises_is_a_502_problem_without_internals() -> None:
    functions = Functions(error=RuntimeError("secret stack detail"))

    response = ApiGateway(functions, TOKEN)(request("GET", "/products"))

    assert response.status == 502
    assert "secret" not in response.body.decode()
    assert problem(response)["status"] == 502


def test_a_function_that_returns_no_proxy_response_is_a_502_problem() -> None:
    functions = Functions(result={"body": "no status"})

    response = ApiGateway(functions, TOKEN)(request("GET", "/products"))

    assert response.status == 502


def test_bodies_over_api_gateways_limit_are_413_before_the_function() -> None:
    functions = Functions()

    response = ApiGateway(functions, TOKEN)(
        request("POST", "/admin/products", token=TOKEN, body=b"x" * (10 * 2**20 + 1))
    )

    assert response.status == 413
    assert functions.calls == []


def test_proxy_response_headers_are_merged_as_api_gateway_merges_them() -> None:
    result = {
        "statusCode": 201,
        "headers": {"Location": "/products/1", "Vary": "Origin"},
        "multiValueHeaders": {"Vary": ["Accept", "Origin"], "X-Request-Id": ["abc"]},
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }

    response = http_response(result, "gateway-id")

    assert response.status == 201
    assert response.body == b"\x00\x01"
    assert [value for name, value in response.headers if name == "Vary"] == ["Accept", "Origin"]
    assert response.header("Location") == "/products/1"
    assert response.header("X-Request-Id") == "abc"


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None)],
)
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


active = 0
overlaps = 0
_counter_lock = threading.Lock()


def slow_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A handler that notices when two invocations overlap."""
    global active, overlaps
    with _counter_lock:
        active += 1
        overlaps += active > 1
    time.sleep(0.02)  # hold the invocation open so an overlap would be seen
    with _counter_lock:
        active -= 1
    return {"statusCode": 200, "body": context.function_name}


def test_one_function_serves_one_invocation_at_a_time() -> None:
    spec = FunctionSpec("slow", f"{__name__}.slow_handler", "api", "test", PublicApiConfig, api="public")
    host = FunctionHost([spec])
    threads = [threading.Thread(target=host.invoke, args=("slow", {})) for _ in range(4)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps == 0
    assert host.invoke("slow", {})["body"] == "catalog-local-slow"


def test_real_admin_handlers_answer_the_events_the_gateway_builds(aws: Resources) -> None:
    host = FunctionHost()
    gateway = ApiGateway(host, TOKEN)
    body = {"sku": "GW-1", "name": "Gateway mug", "category": "kitchen", "price": 3.5, "inventory": 2}

    created = gateway(request("POST", "/admin/products", token=TOKEN, body=json.dumps(body).encode()))
    product = json.loads(created.body)
    read = gateway(request("GET", f"/admin/products/{product['id']}", token=TOKEN))
    invalid = gateway(request("POST", "/admin/products", token=TOKEN, body=b'{"sku": ""}'))

    assert created.status == 201, created.body
    assert created.header("Location") == f"/products/{product['id']}"
    assert read.status == 200
    assert read.header("ETag") == '"1"'
    assert invalid.status == 400
    assert problem(invalid)["errors"]


def test_routes_table_drives_the_gateway() -> None:
    functions = Functions()
    routes = (Route("GET", "/things/{thing_id}", "things"),)
    gateway = ApiGateway(
        functions,
        TOKEN,
        functions=(FunctionSpec("things", "x.y", "api", "t", PublicApiConfig, api="public"),),
        routes=routes,
    )

    gateway(request("GET", "/things/42"))

    assert functions.calls[0][1]["pathParameters"] == {"thing_id": "42"}
