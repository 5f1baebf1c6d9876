"""Lambda entry point of the projector: a DynamoDB stream batch in, a partial batch response out.

The batch is first projected in few round trips (:meth:`CatalogProjector.apply_batch`: one read
of every product's view, changes sharing transactions); any record that path left is then applied
on its own, in stream order (Powertools' BatchProcessor records which fail). Each record's events
are logged in the same transaction as its view change, and the publisher sends them from the log.
A record is reported in ``batchItemFailures`` only when its view change could not be written;
Lambda then resumes the shard from the lowest reported sequence number, where version guards make
re-applied views (and their events) no-ops.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from projectors.catalog.service import CatalogProjector, ProjectorSettings, RecordResult
from shared.config import ProjectorConfig, cached_config
from shared.data.event_log import EventLogTable
from shared.data.views import DynamoViewRepository
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def catalog_projector() -> CatalogProjector:
    """The process-wide projector, wired to the configured views table and event log."""
    config: ProjectorConfig = cached_config(ProjectorConfig)
    event_log = EventLogTable(config.event_log_table_name, retention_days=config.event_log_retention_days)
    return CatalogProjector(
        views=DynamoViewRepository(config.views_table_name, event_log=event_log),
        settings=ProjectorSettings(images_base_url=config.images_base_url, event_source=config.event_source),
    )


def project_batch(
    event: Mapping[str, Any], context: LambdaContext | None, projector: CatalogProjector
) -> PartialItemFailureResponse:
    """Project one stream batch and report the records to retry.

    Parameters
    ----------
    event
        The Lambda DynamoDB Streams event (``{"Records": [...]}``).
    context
        The Lambda context, if any.
    projector
        The projector to apply records with (the handler passes :func:`catalog_projector`).

    Returns
    -------
    PartialItemFailureResponse
        ``{"batchItemFailures": [{"itemIdentifier": <sequence number>}, ...]}``.

    Raises
    ------
    BatchProcessingError
        When every record's view write failed (Lambda retries the whole batch).
    """
    batch = projector.apply_batch(event.get("Records", []))
    if batch.left_because is not None:
        logger.warning("records left to one-by-one projection", extra={"reason": batch.left_because})
    applied: list[RecordResult] = []

    def record_handler(record: DynamoDBRecord) -> None:
        identifier = record.dynamodb.sequence_number if record.dynamodb else None
        if identifier in batch.results:
            applied.append(batch.results[identifier])
            return
        try:
            applied.append(projector.apply_record(record.raw_event))
        except Exception:
            logger.exception(
                "record not projected",
                extra={"sequence_number": record.dynamodb.sequence_number if record.dynamodb else None},
            )
            raise

    response = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    failures = list(response.get("batchItemFailures", []))
    metrics.add_metric(name="RecordsProjected", unit=MetricUnit.Count, value=len(applied))
    metrics.add_metric(name="ViewsChanged", unit=MetricUnit.Count, value=sum(r.view_applied for r in applied))
    metrics.add_metric(name="EventsLogged", unit=MetricUnit.Count, value=sum(len(r.events) for r in applied))
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failures))
    metrics.add_metric(name="ProjectionTransactions", unit=MetricUnit.Count, value=batch.transactions)
    metrics.add_metric(
        name="RecordsProjectedOneByOne",
        unit=MetricUnit.Count,
        value=len(event.get("Records", [])) - len(batch.results),
    )
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The projector Lambda: DynamoDB stream batch in, partial batch response out."""
    return project_batch(event, context, catalog_projector())


prime(catalog_projector)
