"""The whole loop through the local runtime: admin writes, projection, edge cache, events, images."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from local.resources import subscribe_queue
from tests.e2e.support import LocalCatalog, Reply, eventually, http_request, multipart_form
from tests.images import PNG_BYTES

pytestmark = pytest.mark.e2e

DEPLETED = "catalog.inventory.depleted.v1"


def public_product(catalog: LocalCatalog, product_id: str, accept: Any = None) -> Reply | None:
    """The public product once the edge serves a 200 that satisfies ``accept`` (else None)."""
    reply = catalog.request("GET", f"/products/{product_id}")
    if reply.status != 200:
        return None
    return reply if accept is None or accept(reply.json()) else None


def test_create_read_deplete_and_add_an_image(catalog: LocalCatalog, cloud: dict[str, Any]) -> None:
    # Given a queue of our own on the inventory topic, filtered to depletions only
    topic_arn = catalog.request("GET", "/_local/resources").json()["topic_arn"]
    queue_url = cloud["sqs"].create_queue(QueueName="e2e-depleted")["QueueUrl"]
    subscribe_queue(cloud["sns"], cloud["sqs"], topic_arn, queue_url, filter_policy={"type": [DEPLETED]})

    # When an admin creates a product
    created = catalog.request(
        "POST",
        "/admin/products",
        {"sku": "E2E-LAMP", "name": "Desk lamp", "category": "lighting", "price": 39.9, "inventory": 4},
        admin=True,
    )
    assert created.status == 201, created.body
    product = created.json()
    product_id = product["id"]
    assert created.header("Location") == f"/products/{product_id}"
    assert created.header("ETag") == '"1"'

    # Then shoppers see it through the edge once projected: a miss first, then a hit
    first = eventually(lambda: public_product(catalog, product_id), what="the product on the public API")
    second = catalog.request("GET", f"/products/{product_id}")
    assert first.header("X-Cache") == "Miss"
    assert second.header("X-Cache") == "Hit"
    assert second.body == first.body
    assert first.json()["availability"] == "low_stock"
    assert "inventory" not in first.json()

    # When the stock goes to zero
    sold_out = catalog.request(
        "POST", f"/admin/products/{product_id}/inventory", {"set": 0, "reason": "e2e"}, admin=True
    )
    assert sold_out.status == 200, sold_out.body
    assert sold_out.json()["inventory"] == 0

    # Then our queue receives exactly the depletion (the filter policy kept "changed" out)
    def depleted_event() -> dict[str, Any] | None:
        messages = (
            cloud["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        )
        events = [json.loads(message["Body"]) for message in messages]
        assert all(event["type"] == DEPLETED for event in events), events
        return next((e for e in events if e["subject"] == product_id), None)

    event = eventually(depleted_event, what="the depleted event on the subscriber queue")
    assert event["specversion"] == "1.0"
    assert event["data"]["previous_quantity"] == 4
    assert event["data"]["quantity"] == 0
    assert event["data"]["sku"] == "E2E-LAMP"
    # and the runtime's console subscriber printed it on one line
    catalog.wait_for_line(lambda line: line == f"event {DEPLETED} {product_id} 4→0 (E2E-LAMP)", timeout=10)

    # When an admin uploads a real PNG with the presigned POST the API hands out
    ticket = catalog.request(
        "POST",
        f"/admin/products/{product_id}/images",
        {"content_type": "image/png", "content_length": len(PNG_BYTES)},
        admin=True,
    )
    assert ticket.status == 201, ticket.body
    upload = ticket.json()["upload"]
    # (S3 holds the form to its policy: another type or size is refused, nothing is stored)
    retyped = {**upload["fields"], "Content-Type": "image/gif"}
    for fields, data, status in ((upload["fields"], PNG_BYTES + b"!", 400), (retyped, PNG_BYTES, 403)):
        form, form_type = multipart_form(fields, "file", "lamp.png", data, "image/png")
        assert http_request("POST", upload["url"], form, {"Content-Type": form_type}).status == status
    body, content_type = multipart_form(upload["fields"], "file", "lamp.png", PNG_BYTES, "image/png")
    posted = http_request("POST", upload["url"], body, {"Content-Type": content_type})
    assert posted.status in (200, 201, 204), posted.body

    # Then the image shows on the public product after registration and projection
    with_image = eventually(
        lambda: public_product(catalog, product_id, accept=lambda view: bool(view["images"])),
        what="the image on the public product",
    )
    [image] = with_image.json()["images"]
    assert image["id"] == ticket.json()["image_id"]
    assert with_image.json()["availability"] == "out_of_stock"

    # and it downloads through the edge with the uploaded bytes
    downloaded = http_request("GET", image["url"])
    assert image["url"].startswith(f"{catalog.url}/images/")
    assert downloaded.status == 200
    assert downloaded.body == PNG_BYTES
    assert downloaded.header("Content-Type") == "image/png"


def test_a_change_reaches_public_reads_within_the_projection_lag_plus_the_edge_ttl(
    catalog: LocalCatalog,
) -> None:
    # Given a product that shoppers have already read through the edge
    created = catalog.request(
        "POST",
        "/admin/products",
        {"sku": "E2E-CHAIR", "name": "Chair", "category": "furniture", "price": 120, "inventory": 10},
        admin=True,
    ).json()
    eventually(lambda: public_product(catalog, created["id"]), what="the product on the public API")

    # When its price changes
    started = time.monotonic()
    changed = catalog.request(
        "PATCH", f"/admin/products/{created['id']}", {"price": 99.5}, admin=True, headers={"If-Match": '"1"'}
    )
    assert changed.status == 200, changed.body

    # Then public reads show it within the edge TTL (2 s here) plus the projection lag
    eventually(
        lambda: public_product(catalog, created["id"], accept=lambda view: view["price"] == 99.5),
        timeout=10,
        what="the new price on the public API",
    )
    assert time.monotonic() - started < 2 + 3
