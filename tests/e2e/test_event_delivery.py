"""Events through the local runtime: nothing lost while SNS is down, history and replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.resources import PROJECTOR_FAILURES_QUEUE, subscribe_queue
from tests.e2e.support import LocalCatalog, eventually

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 30
# The contract: events held back by an outage arrive within 60 s after SNS is back.
DELIVERY_AFTER_OUTAGE_SECONDS = 60


def _subscribe(catalog: LocalCatalog, cloud: dict[str, Any], name: str) -> str:
    topic_arn = catalog.request("GET", "/_local/resources").json()["topic_arn"]
    queue_url: str = cloud["sqs"].create_queue(QueueName=name)["QueueUrl"]
    subscribe_queue(cloud["sns"], cloud["sqs"], topic_arn, queue_url)
    return queue_url


def _drain(cloud: dict[str, Any], queue_url: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        messages = (
            cloud["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        )
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            cloud["sqs"].delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _failure_queue_depth(cloud: dict[str, Any]) -> int:
    url = cloud["sqs"].get_queue_url(QueueName=PROJECTOR_FAILURES_QUEUE)["QueueUrl"]
    attributes = cloud["sqs"].get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_writes_during_an_sns_outage_are_delivered_exactly_once_after_it_and_history_shows_them(
    catalog: LocalCatalog, cloud: dict[str, Any]
) -> None:
    queue_url = _subscribe(catalog, cloud, "e2e-outage")
    _drain(cloud, queue_url)

    # Given SNS unavailable for 30 s
    fault = catalog.request("PUT", "/_local/faults/sns", {"unavailable_seconds": OUTAGE_SECONDS})
    assert fault.status == 200, fault.body
    outage_ends = time.monotonic() + OUTAGE_SECONDS
    try:
        # When an admin creates a product and adjusts its stock three times during the outage
        created = catalog.request(
            "POST",
            "/admin/products",
            {
                "sku": "E2E-OUTAGE",
                "name": "Outage kettle",
                "category": "kitchen",
                "price": 20,
                "inventory": 10,
            },
            admin=True,
        )
        assert created.status == 201, created.body
        product_id = created.json()["id"]
        for step in range(3):
            adjusted = catalog.request(
                "POST",
                f"/admin/products/{product_id}/inventory",
                {"delta": -1, "reason": f"o{step}"},
                admin=True,
            )
            assert adjusted.status == 200, adjusted.body

        # Then the views still advance (the projector does not wait for SNS) and nothing arrives
        eventually(
            lambda: catalog.request("GET", f"/products/{product_id}").status == 200 or None,
            what="the product on the public API during the outage",
        )
        time.sleep(2)
        assert time.monotonic() < outage_ends, "the writes took longer than the outage"
        assert _drain(cloud, queue_url) == []
    finally:
        # (an aborted test must not leave SNS down for the rest of the session)
        remaining = outage_ends - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        catalog.request("DELETE", "/_local/faults/sns")

    # Then after the outage every event arrives, each id exactly once
    expected = 8  # created + changed; 3 x (updated + changed)
    received: list[dict[str, Any]] = []

    def all_received() -> list[dict[str, Any]] | None:
        received.extend(event for event in _drain(cloud, queue_url) if event["subject"] == product_id)
        return received if len({event["id"] for event in received}) >= expected else None

    eventually(
        all_received, timeout=DELIVERY_AFTER_OUTAGE_SECONDS, interval=0.5, what="every held-back event"
    )
    time.sleep(3)  # would-be duplicates (a second publishing attempt) have time to show
    received.extend(event for event in _drain(cloud, queue_url) if event["subject"] == product_id)
    assert Counter(event["id"] for event in received).most_common(1)[0][1] == 1
    assert Counter(event["type"] for event in received) == {
        "catalog.product.created.v1": 1,
        "catalog.inventory.changed.v1": 4,
        "catalog.product.updated.v1": 3,
    }
    assert _failure_queue_depth(cloud) == 0

    # and the product's history lists the same events, newest first
    history = catalog.request("GET", f"/admin/products/{product_id}/events?limit=100", admin=True)
    assert history.status == 200, history.body
    items = history.json()["items"]
    assert sorted(event["id"] for event in items) == sorted(event["id"] for event in received)
    assert [event["data"]["version"] for event in items] == sorted(
        (event["data"]["version"] for event in items), reverse=True
    )


def test_replay_republishes_logged_events_with_their_original_ids(
    catalog: LocalCatalog, cloud: dict[str, Any]
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    created = catalog.request(
        "POST",
        "/admin/products",
        {"sku": "E2E-REPLAY", "name": "Replay lamp", "category": "lighting", "price": 5, "inventory": 2},
        admin=True,
    )
    product_id = created.json()["id"]
    original = _subscribe(catalog, cloud, "e2e-replay-original")
    catalog.request("PATCH", f"/admin/products/{product_id}", {"name": "Replayed lamp"}, admin=True)
    updates: list[dict[str, Any]] = []

    def update_received() -> list[dict[str, Any]] | None:
        updates.extend(e for e in _drain(cloud, original) if e["type"] == "catalog.product.updated.v1")
        return updates or None

    first = eventually(update_received, what="the update event")
    lost_queue = _subscribe(catalog, cloud, "e2e-replay-new-queue")  # a subscriber that lost its queue

    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.replay_events",
            "--since",
            since.isoformat(),
            "--product",
            product_id,
            "--type",
            "catalog.product.updated.v1",
        ],
        env={**os.environ, "CATALOG_AWS_PORT": str(catalog.aws_port)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.startswith("replayed 1 events"), replay.stdout
    replayed = eventually(lambda: _drain(cloud, lost_queue) or None, what="the replayed event")
    assert [event["id"] for event in replayed] == [event["id"] for event in first]
    assert replayed == first
