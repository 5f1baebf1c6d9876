"""SQS function: applies batches of import rows (the managed fan-out's worker).

Each message is one batch (:class:`commands.imports.logic.BatchMessage`). The event source
mapping bounds how many run at once; a failed message is reported alone
(``ReportBatchItemFailures``) and delivered again, up to the queue's receive limit, then lands in
the batch failure queue (alarmed), from which it can be redriven to resume the import.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commands.data.bulk_files import S3BulkFiles
from commands.data.jobs import DynamoJobStore
from commands.imports.logic import BatchImporter, BatchMessage
from commands.imports.wiring import CLOCK
from shared.config import ImportBatchConfig, load_config
from shared.data.products import BulkProductStore
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime

config = load_config(ImportBatchConfig)
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _importer() -> BatchImporter:
    return BatchImporter(
        DynamoJobStore(config.jobs_table_name),
        S3BulkFiles(config.images_bucket_name),
        BulkProductStore(config.products_table_name),
        CLOCK,
    )


def _apply(record: SQSRecord) -> None:
    message = BatchMessage.from_json(record.body)
    counts = _importer().run(message)
    if counts is not None:
        logger.info("import batch applied", extra={"import_id": message.import_id, "batch": message.batch})
        metrics.add_metric(
            name="ImportRowsApplied", unit="Count", value=counts.created + counts.updated + counts.unchanged
        )
        metrics.add_metric(name="ImportRowsFailed", unit="Count", value=counts.failed)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Apply every batch in the SQS event; report the ones that failed."""
    return process_partial_response(event=event, record_handler=_apply, processor=processor, context=context)


prime(_importer)
