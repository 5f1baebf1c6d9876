"""The projector's batch path: one read per batch, changes sharing transactions, and what it leaves
to the one-by-one path (a lost race, a change too big for a transaction, a record that does not parse)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.streams import StreamReader
from shared.data.dynamo import TRANSACTION_LIMIT, dynamodb_client
from shared.data.views import DynamoViewRepository
from shared.models.events import InventoryEventType, ProductEventType
from tests.stream_builders import (
    Catalog,
    SubscribedQueue,
    failed_identifiers,
    invoke_projector,
)

CALLS = ("GetItem", "BatchGetItem", "TransactWriteItems")


@pytest.fixture
def calls() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The projector's DynamoDB requests by operation, with their parameters."""
    seen: dict[str, list[dict[str, Any]]] = {operation: [] for operation in CALLS}
    hooks = {operation: (lambda params, _op=operation, **_: seen[_op].append(params)) for operation in CALLS}
    for operation, hook in hooks.items():
        dynamodb_client().meta.events.register(f"before-parameter-build.dynamodb.{operation}", hook)
    yield seen
    for operation, hook in hooks.items():
        dynamodb_client().meta.events.unregister(f"before-parameter-build.dynamodb.{operation}", hook)


def _event_types(subscriber: SubscribedQueue) -> list[tuple[str, str]]:
    return [(m["event"]["subject"], m["event"]["type"]) for m in subscriber.receive_all()]


def test_a_batch_is_read_once_and_written_in_few_shared_transactions(
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    calls: dict[str, list[dict[str, Any]]],
) -> None:
    created = [catalog.create(category=f"cat-{n % 3}", inventory=10) for n in range(30)]
    records = stream.read_new()

    response = invoke_projector(records)

    assert failed_identifiers(response) == []
    assert (len(calls["BatchGetItem"]), len(calls["GetItem"])) == (1, 0)
    sizes = [len(call["TransactItems"]) for call in calls["TransactWriteItems"]]
    assert max(sizes) <= TRANSACTION_LIMIT
    # 30 products of 15 to 20 actions each (view, entries, events, counts): five to seven, not 30.
    assert len(sizes) <= 7
    assert all(views.get_public(product.id) is not None for product in created)
    assert views.stored_counts() == {"cat-0": 10, "cat-1": 10, "cat-2": 10}


def test_products_of_one_category_share_transactions_so_each_count_is_updated_once_per_transaction(
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    calls: dict[str, list[dict[str, Any]]],
) -> None:
    # Interleaved categories, as a burst of writes from many admins would arrive.
    created = [catalog.create(category=f"cat-{n % 4}", inventory=10) for n in range(40)]

    response = invoke_projector(stream.read_new())

    assert failed_identifiers(response) == []
    transactions = calls["TransactWriteItems"]
    count_updates = [
        action["Update"]["Key"]["sk"]["S"]
        for call in transactions
        for action in call["TransactItems"]
        if "Update" in action
    ]
    # In batch order every transaction would update all four counts (about six transactions, 24
    # updates); taken by category, a count is updated again only where its products span two.
    assert len(count_updates) <= len(transactions) + 3
    assert views.stored_counts() == {f"cat-{n}": 10 for n in range(4)}
    assert all(views.get_public(product.id) is not None for product in created)


def test_a_products_records_in_one_batch_are_written_once_with_every_event_in_order(
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    subscriber: SubscribedQueue,
    product_subscriber: SubscribedQueue,
    calls: dict[str, list[dict[str, Any]]],
) -> None:
    item = catalog.create(inventory=10, low_stock_threshold=5, category="kitchen")
    catalog.adjust(item.id, set_to=3)
    catalog.adjust(item.id, set_to=0)
    catalog.replace(item.id, category="garden")

    invoke_projector(stream.read_new())

    view_puts = [
        action
        for call in calls["TransactWriteItems"]
        for action in call["TransactItems"]
        if action.get("Put", {}).get("Item", {}).get("sk") == {"S": "VIEW"}
    ]
    stored = views.current(item.id)
    assert len(view_puts) == 1
    assert stored is not None
    assert stored.version == 4
    # Coalesced, the move nets kitchen to zero: no count item is written for it (zero counts are
    # never shown), where record by record it would have gone 1 and back to 0.
    assert views.stored_counts() == {"garden": 1}
    assert [t for _, t in _event_types(subscriber)] == [
        InventoryEventType.CHANGED,
        InventoryEventType.CHANGED,
        InventoryEventType.LOW,
        InventoryEventType.CHANGED,
        InventoryEventType.DEPLETED,
    ]
    assert [t for _, t in _event_types(product_subscriber)] == [
        ProductEventType.CREATED,
        ProductEventType.UPDATED,
        ProductEventType.UPDATED,
        ProductEventType.UPDATED,
    ]


def test_a_transaction_that_loses_a_race_leaves_its_products_to_the_one_by_one_path(
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    product_subscriber: SubscribedQueue,
    calls: dict[str, list[dict[str, Any]]],
) -> None:
    created = [catalog.create(category="kitchen") for _ in range(3)]
    conflicts = iter([True])

    def conflict_once(**_: Any) -> None:
        # What DynamoDB answers when another transaction (another shard's projector adding to
        # the same category count) touched one of the items at the same moment.
        if next(conflicts, False):
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )

    dynamodb_client().meta.events.register("before-call.dynamodb.TransactWriteItems", conflict_once)
    try:
        response = invoke_projector(stream.read_new())
    finally:
        dynamodb_client().meta.events.unregister("before-call.dynamodb.TransactWriteItems", conflict_once)

    assert failed_identifiers(response) == []
    # The shared transaction, then one per product on its own; one read each on that path.
    assert len(calls["TransactWriteItems"]) == 1 + len(created)
    assert len(calls["GetItem"]) == len(created)
    assert views.stored_counts() == {"kitchen": 3}
    assert Counter(_event_types(product_subscriber)) == Counter(
        (product.id, ProductEventType.CREATED) for product in created
    )


def test_a_product_whose_changes_exceed_one_transaction_is_projected_record_by_record(
    catalog: Catalog,
    stream: StreamReader,
    views: DynamoViewRepository,
    subscriber: SubscribedQueue,
    calls: dict[str, list[dict[str, Any]]],
) -> None:
    busy = catalog.create(inventory=500, category="kitchen")
    quiet = catalog.create(inventory=50, category="garden")
    invoke_projector(stream.read_new())
    subscriber.receive_all()
    for _ in range(TRANSACTION_LIMIT):
        catalog.adjust(busy.id, delta=-1)
    catalog.adjust(quiet.id, delta=-1)
    calls["TransactWriteItems"].clear()

    response = invoke_projector(stream.read_new())

    stored = views.current(busy.id)
    assert failed_identifiers(response) == []
    assert stored is not None
    assert stored.version == 1 + TRANSACTION_LIMIT
    # One transaction per adjustment of the busy product, one shared by the rest.
    assert len(calls["TransactWriteItems"]) == TRANSACTION_LIMIT + 1
    assert Counter(_event_types(subscriber)) == {
        (busy.id, InventoryEventType.CHANGED): TRANSACTION_LIMIT,
        (quiet.id, InventoryEventType.CHANGED): 1,
    }


def test_a_record_that_does_not_parse_fails_alone_and_holds_back_only_its_product(
    catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    broken = catalog.create(category="kitchen")
    catalog.replace(broken.id, name="Renamed")
    healthy = catalog.create(category="garden")
    records = [dict(record) for record in stream.read_new()]
    first_of_broken = next(r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == f"PRODUCT#{broken.id}")
    # A record without the image it needs, as a stream with the wrong view type would send.
    first_of_broken["dynamodb"] = {k: v for k, v in first_of_broken["dynamodb"].items() if k != "NewImage"}

    response = invoke_projector(records)

    assert failed_identifiers(response) == [first_of_broken["dynamodb"]["SequenceNumber"]]
    assert views.get_public(healthy.id) is not None
    # The broken product's later record went the one-by-one way, as it did before batching.
    stored = views.current(broken.id)
    assert stored is not None
    assert stored.version == 2
