"""S3 `ObjectCreated` function on ``imports/``: checks an uploaded file and fans its batches out.

The upload itself starts the import (no second call). The file is read once, as a stream, to
prove it readable before any row is written; its batches then go to the batch queue, which the
batch function drains with bounded concurrency. An unexpected error fails the invocation, so
S3's asynchronous retry delivers the event again (a running import then sends its batches again,
which counted batches ignore).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from commands.data.bulk_files import S3BulkFiles
from commands.data.jobs import DynamoJobStore
from commands.data.queues import SqsWorkQueue
from commands.imports.logic import start_import
from commands.imports.wiring import CLOCK
from shared.config import ImportStartConfig, load_config
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime
from shared.tables import import_id_of

config = load_config(ImportStartConfig)


@cache
def _jobs() -> DynamoJobStore:
    return DynamoJobStore(config.jobs_table_name)


@cache
def _files() -> S3BulkFiles:
    return S3BulkFiles(config.images_bucket_name)


@cache
def _queue() -> SqsWorkQueue:
    return SqsWorkQueue(config.import_batches_queue_url)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Start the import of every uploaded import file the notification names.

    Returns
    -------
    dict
        ``{"results": [{import_id, outcome}]}``, for logs and tests.
    """
    results = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        if record["s3"]["bucket"]["name"] != config.images_bucket_name:
            continue
        import_id = import_id_of(unquote_plus(record["s3"]["object"]["key"]))
        if import_id is None:
            continue
        outcome = start_import(_jobs(), _files(), _queue(), CLOCK, import_id)
        logger.info("import upload processed", extra={"import_id": import_id, "outcome": outcome})
        metrics.add_metric(
            name="ImportsStarted" if outcome.startswith("started") else "ImportsRejected",
            unit="Count",
            value=1,
        )
        results.append({"import_id": import_id, "outcome": outcome})
    return {"results": results}


prime(_jobs, _files, _queue)
