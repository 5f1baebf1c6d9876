"""The catalog port: HTTP framing, the request router, the local endpoints and the demo catalog."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local.app import OPENAPI_GENERATOR, CatalogApp, resources_document
from local.edge import Behavior, EdgeCache
from local.resources import Resources, create_local_queues
from local.seed import DEMO_PRODUCTS, SeedError, seed_catalog
from local.server import CatalogServer
from local.web import HttpRequest, HttpResponse


class Recorder:
    """An app that records requests and answers with a fixed response (or raises)."""

    def __init__(self, response: HttpResponse | None = None, error: Exception | None = None) -> None:
        self.requests: list[HttpRequest] = []
        self.response = response or HttpResponse(200, (("Content-Type", "text/plain"),), b"hello")
        self.error = error

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.response


@pytest.fixture
def served() -> Iterator[tuple[CatalogServer, Recorder]]:
    app = Recorder()
    server = CatalogServer(("127.0.0.1", 0), app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server, app
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


def exchange(
    server: CatalogServer, method: str, target: str, body: bytes | None = None, **headers: str
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request(method, target, body=body, headers=headers)
    return connection.getresponse()


def test_requests_reach_the_app_with_path_query_headers_and_body(
    served: tuple[CatalogServer, Recorder],
) -> None:
    server, app = served

    response = exchange(
        server, "POST", "/admin/products?x=1&y=2", b'{"a":1}', **{"Content-Type": "application/json"}
    )

    assert response.status == 200
    assert response.read() == b"hello"
    assert response.getheader("Content-Length") == "5"
    [request] = app.requests
    assert (request.method, request.path, request.query, request.body) == (
        "POST",
        "/admin/products",
        "x=1&y=2",
        b'{"a":1}',
    )
    assert request.header("content-type") == "application/json"
    assert request.client_ip == "127.0.0.1"


def test_head_gets_the_length_but_no_body(served: tuple[CatalogServer, Recorder]) -> None:
    server, _ = served

    response = exchange(server, "HEAD", "/products")

    assert response.getheader("Content-Length") == "5"
    assert response.read() == b""


def test_chunked_request_bodies_are_decoded(served: tuple[CatalogServer, Recorder]) -> None:
    server, app = served
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)

    connection.request("PUT", "/admin/products/1", body=iter([b'{"name":', b'"x"}']), encode_chunked=True)
    connection.getresponse().read()

    assert app.requests[0].body == b'{"name":"x"}'


def test_a_body_over_the_limit_is_a_413_problem_without_reading_it(
    served: tuple[CatalogServer, Recorder],
) -> None:
    server, app = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"POST /admin/products HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        answer = raw.recv(4096).decode()

    assert answer.startswith("HTTP/1.1 413")
    assert "application/problem+json" in answer
    assert app.requests == []


def test_a_malformed_request_is_a_problem_too(served: tuple[CatalogServer, Recorder]) -> None:
    server, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GARBAGE\r\n\r\n")
        answer = raw.recv(4096).decode()

    assert answer.startswith("HTTP/1.1 400")
    assert "application/problem+json" in answer


def test_an_app_error_is_a_500_problem_without_internals(served: tuple[CatalogServer, Recorder]) -> None:
    server, app = served
    app.error = RuntimeError("database password is hunter2")

    response = exchange(server, "GET", "/products")
    body = response.read().decode()

    assert response.status == 500
    assert response.getheader("Content-Type") == "application/problem+json"
    assert response.getheader("X-Request-Id")
    assert "hunter2" not in body


def test_no_content_has_no_length_and_no_body(served: tuple[CatalogServer, Recorder]) -> None:
    server, app = served
    app.response = HttpResponse(204, (("Content-Length", "99"),), b"")

    response = exchange(server, "DELETE", "/admin/products/1")

    assert response.status == 204
    assert response.getheader("Content-Length") is None


# -- the router -------------------------------------------------------------------------------


def router(gateway: Recorder, public: Recorder, openapi: Any = None) -> CatalogApp:
    edge = EdgeCache([Behavior("api", ("/products", "/categories"), public)])
    resources = {
        "region": "us-west-1",
        "aws_endpoint": "http://127.0.0.1:4566",
        "tables": {},
        "topic_arn": "t",
        "bucket": "b",
    }
    if openapi is None:
        return CatalogApp(gateway=gateway, edge=edge, resources=resources)
    return CatalogApp(gateway=gateway, edge=edge, resources=resources, openapi=openapi)


def test_public_paths_go_through_the_edge_and_the_rest_to_the_gateway() -> None:
    gateway, public = Recorder(), Recorder()
    app = router(gateway, public)

    through_edge = app(HttpRequest("GET", "/products"))
    app(HttpRequest("POST", "/admin/products"))
    app(HttpRequest("GET", "/nowhere"))

    assert through_edge.header("X-Cache") == "Miss"
    assert [r.path for r in public.requests] == ["/products"]
    assert [r.path for r in gateway.requests] == ["/admin/products", "/nowhere"]


def test_local_resources_document_has_exactly_the_documented_keys(aws: Resources) -> None:
    queues = create_local_queues(aws)
    document = resources_document(aws, queues, "http://127.0.0.1:4566")
    app = router(Recorder(), Recorder())
    app.resources = document

    response = app(HttpRequest("GET", "/_local/resources"))

    assert set(json.loads(response.body)) == {
        "region",
        "aws_endpoint",
        "tables",
        "queues",
        "topic_arn",
        "bucket",
    }
    assert document["queues"] == {
        "projection_failures": queues.projector_failures,
        "event_publishing_failures": queues.publisher_failures,
    }
    assert document["tables"] == {
        "products": aws.names.products_table,
        "views": aws.names.views_table,
        "idempotency": aws.names.idempotency_table,
        "events": aws.names.events_table,
        "jobs": aws.names.jobs_table,
    }
    assert app(HttpRequest("DELETE", "/_local/resources")).status == 405


def test_openapi_is_generated_once_and_503_until_the_generator_exists() -> None:
    calls: list[int] = []

    def generate() -> dict[str, Any]:
        calls.append(1)
        return {"openapi": "3.1.0"}

    def missing() -> dict[str, Any]:
        raise ModuleNotFoundError(f"No module named {OPENAPI_GENERATOR!r}", name=OPENAPI_GENERATOR)

    app = router(Recorder(), Recorder(), openapi=generate)
    unavailable = router(Recorder(), Recorder(), openapi=missing)

    assert json.loads(app(HttpRequest("GET", "/openapi.json")).body) == {"openapi": "3.1.0"}
    assert app(HttpRequest("GET", "/openapi.json")).status == 200
    assert calls == [1]
    assert unavailable(HttpRequest("GET", "/openapi.json")).status == 503


# -- the demo catalog ---------------------------------------------------------------------------


def test_demo_catalog_shows_every_public_state() -> None:
    categories = {product["category"] for product in DEMO_PRODUCTS}
    drafts = [p for p in DEMO_PRODUCTS if p.get("status") == "draft"]
    out = [p for p in DEMO_PRODUCTS if p["inventory"] == 0]
    low = [p for p in DEMO_PRODUCTS if 0 < p["inventory"] < p.get("low_stock_threshold", 5)]

    assert len(DEMO_PRODUCTS) == 8
    assert len(categories) == 3
    assert (len(drafts), len(out), len(low)) == (1, 1, 1)


def test_seed_posts_every_product_with_the_admin_token_and_an_idempotency_key() -> None:
    def created(request: HttpRequest) -> HttpResponse:
        body = json.loads(request.body)
        return HttpResponse(
            201, (), json.dumps({"id": body["sku"].lower(), "sku": body["sku"], "status": "active"}).encode()
        )

    seen: list[HttpRequest] = []

    def handler(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return created(request)

    products = seed_catalog(handler, "tok")

    assert len(products) == len(DEMO_PRODUCTS)
    assert all(r.header("Authorization") == "Bearer tok" for r in seen)
    assert all(r.header("Idempotency-Key") for r in seen)


def test_seed_stops_at_the_first_refusal() -> None:
    refusing = Recorder(HttpResponse(409, (), b'{"title":"Conflict"}'))

    with pytest.raises(SeedError, match="409"):
        seed_catalog(refusing, "tok")
    assert len(refusing.requests) == 1


@pytest.mark.parametrize("method", ["QUERY", "PROPFIND", "BREW"])
def test_methods_the_standard_library_does_not_know_still_reach_the_app(
    served: tuple[CatalogServer, Recorder], method: str
) -> None:
    server, app = served

    response = exchange(server, method, "/products")

    assert response.status == 200
    assert [request.method for request in app.requests] == [method]


def test_each_keep_alive_response_leaves_in_one_piece(served: tuple[CatalogServer, Recorder]) -> None:
    # Headers and body written separately let Nagle's algorithm hold the body until the client's
    # delayed ACK (~40 ms a request); a single read must see the whole response every time.
    server, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        for _ in range(5):
            client.sendall(b"GET /categories HTTP/1.1\r\nHost: local\r\n\r\n")
            received = client.recv(65_536)
            assert received.startswith(b"HTTP/1.1 200 ")
            assert received.endswith(b"\r\n\r\nhello")
