"""The event publisher: the log's stream and the sweep, against moto, with SNS refusing or away."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.faults import SNS_OUTAGE, install_sns_faults
from local.resources import Resources
from local.streams import StreamReader
from projectors.publisher.sns import sns_client
from shared.data.event_log import EventLogTable
from shared.data.views import DynamoViewRepository
from tests.stream_builders import (
    Catalog,
    SubscribedQueue,
    failed_identifiers,
    invoke_projector,
    invoke_publisher_on_new_log_items,
    invoke_sweep,
    stream_reader,
)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry pauses of 1 s (the smallest setting), so a test can wait for the next attempt."""
    monkeypatch.setenv("PUBLISH_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("PUBLISH_RETRY_MAX_SECONDS", "1")


@pytest.fixture
def sns_down() -> Iterator[None]:
    """SNS answering every publish with a server error until the test ends it."""
    install_sns_faults()
    SNS_OUTAGE.start(600)
    yield
    SNS_OUTAGE.end()


@pytest.fixture
def everything(aws: Resources) -> SubscribedQueue:
    """A subscriber without a filter: every event on the topic."""
    return SubscribedQueue(aws, "everything")


def _log(aws: Resources) -> EventLogTable:
    return EventLogTable(aws.names.events_table, boto3.client("dynamodb", region_name=aws.region))


def _wait_past_retry_pause() -> None:
    time.sleep(1.1)


def test_every_event_is_published_once_with_the_type_category_and_product_attributes(
    aws: Resources, catalog: Catalog, stream: StreamReader, everything: SubscribedQueue
) -> None:
    item = catalog.create(inventory=3, category="garden")
    catalog.replace(item.id, name="Watering can")
    catalog.delete(item.id)

    invoke_projector(stream.read_new())

    messages = everything.receive_all()
    assert Counter(m["event"]["type"] for m in messages) == {
        "catalog.product.created.v1": 1,
        "catalog.inventory.changed.v1": 1,
        "catalog.product.updated.v1": 1,
        "catalog.product.deleted.v1": 1,
    }
    assert all(
        m["attributes"] == {"type": m["event"]["type"], "category": "garden", "product_id": item.id}
        for m in messages
    )
    assert _log(aws).unpublished(100) == []


def test_while_sns_is_down_the_views_advance_and_no_record_fails(
    aws: Resources,
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    everything: SubscribedQueue,
    sns_down: None,
) -> None:
    item = catalog.create(inventory=10)
    catalog.adjust(item.id, delta=-7, reason="order 1")

    response = invoke_projector(stream.read_new())

    assert failed_identifiers(response) == []
    assert views.current(item.id).version == 2  # type: ignore[union-attr]
    assert everything.receive_all() == []
    pending = _log(aws).unpublished(100)
    assert len(pending) == 5  # create: created + changed; adjust 10 -> 3: updated + changed + low
    assert all(event.attempts == 1 for event in pending)


def test_after_an_outage_the_sweep_delivers_every_event_exactly_once(
    aws: Resources,
    catalog: Catalog,
    stream: StreamReader,
    everything: SubscribedQueue,
    fast_retries: None,
    sns_down: None,
) -> None:
    item = catalog.create(inventory=10)
    for step in range(3):
        catalog.adjust(item.id, delta=-1, reason=f"order {step}")
    invoke_projector(stream.read_new())
    logged = {event.event_id for event in _log(aws).unpublished(100)}
    _wait_past_retry_pause()
    invoke_sweep()  # still down: a second attempt fails too, nothing is lost
    assert {event.event_id for event in _log(aws).unpublished(100)} == logged

    SNS_OUTAGE.end()
    _wait_past_retry_pause()
    summary = invoke_sweep()
    invoke_sweep()  # a second sweep finds nothing due
    invoke_publisher_on_new_log_items()  # a late stream redelivery skips published events

    delivered = [m["event"]["id"] for m in everything.receive_all()]
    assert sorted(delivered) == sorted(logged)
    assert summary["published"] == len(logged) == 8
    assert summary["oldest_unpublished_age"] >= 0
    assert _log(aws).unpublished(100) == []


def test_an_event_sns_refuses_alone_is_kept_and_published_later_without_failing_its_record(
    aws: Resources, catalog: Catalog, stream: StreamReader, subscriber: SubscribedQueue, fast_retries: None
) -> None:
    items = [catalog.create(inventory=100) for _ in range(3)]
    invoke_projector(stream.read_new())
    subscriber.receive_all()
    for step in range(12):
        catalog.adjust(items[step % 3].id, delta=-1, reason=f"order {step}")
    victim_reason = "order 5"

    def refuse_victim(params: dict[str, Any], **_: Any) -> None:
        for entry in params["PublishBatchRequestEntries"]:
            if json.loads(entry["Message"])["data"].get("reason") == victim_reason:
                entry["MessageStructure"] = "refused"  # SNS rejects the entry, not the call

    sns_client().meta.events.register("before-parameter-build.sns.PublishBatch", refuse_victim)
    response = invoke_projector(stream.read_new())
    sns_client().meta.events.unregister("before-parameter-build.sns.PublishBatch", refuse_victim)

    assert failed_identifiers(response) == []
    first = subscriber.receive_all()
    assert len(first) == 11
    (kept,) = _log(aws).unpublished(100)
    assert json.loads(kept.body)["data"]["reason"] == victim_reason

    _wait_past_retry_pause()
    invoke_sweep()

    later = subscriber.receive_all()
    assert [m["event"]["data"]["reason"] for m in later] == [victim_reason]
    assert len({m["event"]["id"] for m in first + later}) == 12


def test_events_go_out_ten_per_publish_batch_call(
    catalog: Catalog, stream: StreamReader, everything: SubscribedQueue
) -> None:
    for _ in range(25):
        catalog.create(inventory=3)
    calls: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        calls.append(len(params["PublishBatchRequestEntries"]))

    sns_client().meta.events.register("before-parameter-build.sns.PublishBatch", count)
    invoke_projector(stream.read_new())
    sns_client().meta.events.unregister("before-parameter-build.sns.PublishBatch", count)

    assert calls == [10, 10, 10, 10, 10]  # 25 created + 25 inventory changed
    assert len(everything.receive_all()) == 50


def test_a_claimed_attempt_is_not_published_by_a_second_publisher(aws: Resources, catalog: Catalog) -> None:
    catalog.create(inventory=1)
    invoke_projector(stream_reader(aws).read_new(), publish=False)
    log = _log(aws)
    (first, _) = log.unpublished(10)

    assert log.claim(first, next_attempt_at=0) is True
    assert log.claim(first, next_attempt_at=0) is False  # the same attempt, seen by another publisher
