"""Lambda entry point of the event publisher: the event log's stream, and a schedule.

* A stream batch (new log items only, by the mapping's filter) is published at once. A record is
  reported in ``batchItemFailures`` only when the log itself could not be read or updated; SNS
  refusing an event is not a failure of the record: the event stays unpublished in the log, due
  again after the retry pause, and the sweep takes it from there.
* A scheduled invocation sweeps the log: it publishes every unpublished event that is due and
  reports the age of the oldest one (``OldestUnpublishedEventAge``, the alarm's metric).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from projectors.publisher.service import EventPublisher, PublishOutcome, RetryPolicy
from projectors.publisher.sns import SnsEventPublisher
from shared.config import EventPublisherConfig, cached_config
from shared.data.event_log import EventLogTable, LoggedEvent, logged_event_from_image
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime


@cache
def event_publisher() -> EventPublisher:
    """The process-wide publisher, wired to the configured log and topic."""
    config: EventPublisherConfig = cached_config(EventPublisherConfig)
    return EventPublisher(
        log=EventLogTable(config.event_log_table_name),
        sink=SnsEventPublisher(config.inventory_topic_arn),
        policy=RetryPolicy(config.publish_retry_base_seconds, config.publish_retry_max_seconds),
    )


# Before a SnapStart snapshot: the log table and SNS clients, so a restored publisher sends at once.
prime(event_publisher)


def _record_metrics(outcome: PublishOutcome) -> None:
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(outcome.published))
    metrics.add_metric(name="EventsDeferred", unit=MetricUnit.Count, value=len(outcome.deferred))
    metrics.add_metric(name="SnsPublishCalls", unit=MetricUnit.Count, value=outcome.sns_calls)
    if outcome.deferred:
        logger.warning(
            "SNS refused events; they stay in the log and are retried", extra={"events": outcome.deferred}
        )


def publish_stream_batch(event: Mapping[str, Any], publisher: EventPublisher) -> PartialItemFailureResponse:
    """Publish the events a log-stream batch carries; report the records whose log access failed."""
    entries: list[tuple[str, LoggedEvent]] = []
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        identifier = str(record["dynamodb"]["SequenceNumber"])
        try:
            entries.append((identifier, logged_event_from_image(record["dynamodb"]["NewImage"])))
        except (KeyError, ValueError):
            logger.exception("log record not understood", extra={"sequence_number": identifier})
            failures.append({"itemIdentifier": identifier})
    try:
        outcome = publisher.publish([entry for _, entry in entries])
    except Exception:
        # The log could not be claimed or marked: let Lambda retry (and bisect) the batch. The
        # events are in the log either way, so the sweep would publish them even if this failed for good.
        logger.exception("event log not reachable; the batch will be retried")
        raise
    _record_metrics(outcome)
    return {"batchItemFailures": failures}  # type: ignore[typeddict-item]


def sweep(publisher: EventPublisher, max_events: int) -> dict[str, Any]:
    """Publish what is due from the log; returns a summary (also logged as metrics)."""
    outcome = publisher.sweep(max_events)
    _record_metrics(outcome)
    metrics.add_metric(
        name="OldestUnpublishedEventAge", unit=MetricUnit.Seconds, value=outcome.oldest_unpublished_age
    )
    return {
        "examined": outcome.examined,
        "published": len(outcome.published),
        "deferred": len(outcome.deferred),
        "oldest_unpublished_age": outcome.oldest_unpublished_age,
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:  # noqa: ARG001 - Lambda's signature
    """Stream batches of new log items, or a scheduled sweep (any event without ``Records``)."""
    publisher = event_publisher()
    if "Records" in event:
        return publish_stream_batch(event, publisher)
    return sweep(publisher, cached_config(EventPublisherConfig).sweep_max_events)
