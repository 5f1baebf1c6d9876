"""What users' scripts rely on: ports, token, /_local/resources, /openapi.json, edge behaviour, --no-seed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import product_body
from tests.e2e.support import REPO_ROOT, STOP_TIMEOUT, LocalCatalog, start_catalog

pytestmark = pytest.mark.e2e


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.header("X-Request-Id")
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


def test_local_resources_name_what_exists_on_the_aws_endpoint(
    catalog: LocalCatalog, cloud: dict[str, Any]
) -> None:
    resources = catalog.request("GET", "/_local/resources").json()

    assert set(resources) == {"region", "aws_endpoint", "tables", "queues", "topic_arn", "bucket"}
    assert resources["region"] == "us-west-1"
    assert resources["aws_endpoint"] == catalog.aws_endpoint
    assert set(resources["tables"]) == {"products", "views", "idempotency", "events", "jobs"}
    assert set(resources["tables"].values()) <= set(cloud["dynamodb"].list_tables()["TableNames"])
    assert resources["topic_arn"] in [t["TopicArn"] for t in cloud["sns"].list_topics()["Topics"]]
    cloud["s3"].head_bucket(Bucket=resources["bucket"])
    assert set(resources["queues"]) == {"projection_failures", "event_publishing_failures"}
    assert set(resources["queues"].values()) <= set(cloud["sqs"].list_queues()["QueueUrls"])


def test_the_admin_api_needs_the_token(catalog: LocalCatalog) -> None:
    without = catalog.request("GET", "/admin/products/anything")
    wrong = catalog.request("GET", "/admin/products/anything", headers={"Authorization": "Bearer wrong"})
    right = catalog.request("GET", "/admin/products/anything", admin=True)

    problem(without, 401)
    problem(wrong, 401)
    problem(right, 404)


def test_the_demo_catalog_shows_every_public_state(catalog: LocalCatalog) -> None:
    listing = catalog.request("GET", "/products?limit=100").json()
    demo = [item for item in listing["items"] if not item["sku"].startswith("E2E-")]
    categories = {c["category"] for c in catalog.request("GET", "/categories").json()["items"]}

    assert len(demo) == 7  # eight demo products, one of them a draft
    assert {item["availability"] for item in demo} == {"in_stock", "low_stock", "out_of_stock"}
    assert {"kitchen", "outdoors", "stationery"} <= categories


def test_the_edge_answers_if_none_match_from_its_cache(catalog: LocalCatalog) -> None:
    first = catalog.request("GET", "/categories")
    etag = first.header("ETag")

    revalidated = catalog.request("GET", "/categories", headers={"If-None-Match": etag or ""})

    assert first.status == 200
    assert etag
    assert revalidated.status == 304
    assert revalidated.body == b""
    assert revalidated.header("X-Cache") in ("Hit", "RefreshHit")
    assert revalidated.header("ETag") == etag


def test_public_paths_are_read_only_and_unknown_paths_are_404_problems(catalog: LocalCatalog) -> None:
    write = catalog.request("POST", "/products", {"sku": "X"})
    unknown = catalog.request("GET", "/nothing-here")

    problem(write, 405)
    problem(unknown, 404)


def test_openapi_json_is_the_committed_document(catalog: LocalCatalog) -> None:
    served = catalog.request("GET", "/openapi.json")

    assert served.status == 200, served.body
    assert served.json() == json.loads((REPO_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


def test_no_seed_starts_an_empty_catalog_and_stops_on_sigterm() -> None:
    empty = start_catalog("--no-seed")
    try:
        products = empty.request("GET", "/products").json()
        categories = empty.request("GET", "/categories").json()
        token_line = next(line for line in empty.lines if line.startswith("Admin token:"))
    finally:
        code, seconds = empty.stop()

    assert products == {"items": [], "next_cursor": None}
    assert categories == {"items": []}
    assert empty.token in token_line
    assert code == 0
    assert seconds < STOP_TIMEOUT
    assert empty.lines[-1] == "Catalog stopped"


def test_a_long_run_of_admin_writes_never_fails_on_the_functions_own_telemetry(catalog: LocalCatalog) -> None:
    # Powertools flushes metrics every 100 data points, which needs the metrics namespace the
    # stack sets; the runtime must have given the functions that environment before their
    # telemetry was first built, or the hundredth write of a function is a 500.
    statuses = [
        catalog.request(
            "POST", "/admin/products", product_body(sku=f"LONG-RUN-{n}", price=12.5), admin=True
        ).status
        for n in range(105)
    ]

    assert statuses == [201] * 105
