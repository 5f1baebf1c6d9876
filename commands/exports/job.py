"""SQS function: runs export jobs (one message per export, queued by `POST /admin/exports`).

A failure is reported for its message alone and retried; after the queue's receive limit the
message goes to the export failure queue, which is alarmed, and can be redriven from there.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from commands.data.bulk_files import S3BulkFiles
from commands.data.jobs import DynamoJobStore
from commands.exports.logic import run_export
from commands.imports.wiring import CLOCK
from shared.config import ExportJobConfig, load_config
from shared.data.products import BulkProductStore
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime

config = load_config(ExportJobConfig)
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _jobs() -> DynamoJobStore:
    return DynamoJobStore(config.jobs_table_name)


@cache
def _files() -> S3BulkFiles:
    return S3BulkFiles(config.images_bucket_name)


@cache
def _products() -> BulkProductStore:
    return BulkProductStore(config.products_table_name)


def _export(record: SQSRecord) -> None:
    export_id = str(json.loads(record.body)["export_id"])
    with tempfile.TemporaryDirectory() as workdir:
        outcome = run_export(
            _jobs(),
            _files(),
            _products(),
            CLOCK,
            export_id,
            workdir,
        )
    logger.info("export processed", extra={"export_id": export_id, "outcome": outcome})
    metrics.add_metric(name="ExportsFinished", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Run every export job in the SQS event; report the ones that failed."""
    return process_partial_response(event=event, record_handler=_export, processor=processor, context=context)


prime(_jobs, _files, _products)
