"""Projector throughput: records/s on one Lambda batch, in process, against moto.

``measure_projector()`` writes products and stock movements through the write model, reads the
resulting stream records as Lambda delivers them, and times one ``project_batch`` call (views
and their logged events, one transaction per record) on ``batch_size`` records, then hands the
log's stream to the publisher and counts SNS PublishBatch calls per 100 published events.
Numbers against moto measure our code plus moto's in-memory cost, not DynamoDB latency.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws

from bench.sections import Context, Figure, Measured
from local.moto_fidelity import make_moto_faithful
from local.resources import create_resources
from local.streams import StreamReader, lambda_event
from projectors.catalog.handler import project_batch
from projectors.catalog.service import CatalogProjector, ProjectorSettings
from projectors.publisher.handler import publish_stream_batch
from projectors.publisher.service import EventPublisher, RetryPolicy
from projectors.publisher.sns import SnsEventPublisher
from shared.data.event_log import EventLogTable
from shared.data.products import DynamoProductStore, StockChange
from shared.data.views import DynamoViewRepository
from shared.models.product import ChangeRecord, Product

REGION = "us-west-1"
SNS_CALLS_TARGET = 10  # per 100 events: PublishBatch takes 10 entries


def write_history(store: DynamoProductStore, records_wanted: int, prefix: str = "BENCH") -> None:
    # A create yields two records (product and SKU guard); each stock movement yields one.
    now = datetime(2026, 1, 1, tzinfo=UTC)
    products = max(1, records_wanted // 10)
    ids = []
    for number in range(products):
        product_id = f"01J{prefix}{number:018d}"
        ids.append(product_id)
        store.create(
            Product(
                id=product_id,
                sku=f"{prefix}-{number}",
                name=f"Bench product {number}",
                category=f"cat-{number % 5}",
                price=Decimal("9.99"),
                inventory=1000,
                low_stock_threshold=5,
                version=1,
                created_at=now,
                updated_at=now,
                last_change=ChangeRecord(actor="bench", command="create-product"),
            )
        )
    movements = records_wanted - 2 * products
    for step in range(max(0, movements)):
        store.adjust_stock(
            ids[step % products],
            StockChange(
                delta=-1,
                absolute=None,
                change=ChangeRecord(actor="bench", command="adjust-inventory", reason="order"),
                updated_at=now.isoformat(),
            ),
        )


def measure_projector(batch_size: int = 100) -> dict[str, float]:
    """Time one projector batch of ``batch_size`` real stream records against in-process moto.

    Returns
    -------
    dict
        ``records_per_s``: records projected per second (views and logged events) for the batch;
        ``sns_calls_per_100_events``: PublishBatch calls per 100 published events;
        plus ``records``, ``events``, ``sns_calls`` and ``seconds`` for context.
    """
    # Without it moto backs up whole tables per transaction, and the growing event log would
    # dominate the figure (decision 10); tests and the local runtime run with it too.
    make_moto_faithful()
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CatalogBench")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "catalog-bench")
    with mock_aws():
        resources = create_resources(REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        write_history(DynamoProductStore(resources.names.products_table, dynamodb), batch_size)
        records = StreamReader(resources.stream_arn, region=REGION).read_new()[:batch_size]
        event_log = EventLogTable(resources.names.events_table, dynamodb)
        projector = CatalogProjector(
            DynamoViewRepository(resources.names.views_table, dynamodb, event_log=event_log),
            ProjectorSettings(images_base_url="https://cdn.example", event_source="urn:catalog:products"),
        )
        publisher = EventPublisher(event_log, SnsEventPublisher(resources.topic_arn, sns), RetryPolicy())
        published: list[int] = []

        def count(params: dict[str, Any], **_: Any) -> None:
            published.append(len(params["PublishBatchRequestEntries"]))

        sns.meta.events.register("before-parameter-build.sns.PublishBatch", count)
        started = time.perf_counter()
        response = project_batch(lambda_event(records), None, projector)
        seconds = time.perf_counter() - started
        log_records = StreamReader(resources.event_log_stream_arn, region=REGION).read_new()
        publish_stream_batch(lambda_event(log_records), publisher)
    if response["batchItemFailures"]:
        raise RuntimeError(f"benchmark batch had failures: {response['batchItemFailures']}")
    events = sum(published)
    return {
        "records_per_s": round(len(records) / seconds, 1),
        "sns_calls_per_100_events": round(100 * len(published) / events, 2) if events else 0.0,
        "records": float(len(records)),
        "events": float(events),
        "sns_calls": float(len(published)),
        "seconds": round(seconds, 4),
    }


def measure(_: Context) -> Measured:
    """One batch of 100 records: throughput, and SNS calls per 100 events against its target."""
    details = measure_projector(batch_size=100)
    figure = Figure(details["sns_calls_per_100_events"], SNS_CALLS_TARGET, "calls")
    return Measured(dict(details), {"projector.sns_calls_per_100_events": figure})


if __name__ == "__main__":
    print(measure_projector())
