"""S3 `ObjectCreated` function: registers uploaded images on their products.

Records are independent: one bad upload is rejected (and deleted) without failing the others; an
unexpected error fails the invocation so S3's asynchronous retry delivers the event again.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from commands.images.logic import register_upload
from shared.config import ImageRegistrationConfig, load_config
from shared.data.images import S3ImageStorage
from shared.data.products import DynamoProductStore
from shared.observability import logger, metrics, tracer
from shared.snapstart import prime
from shared.tables import UPLOAD_PREFIX

config = load_config(ImageRegistrationConfig)


@cache
def _products() -> DynamoProductStore:
    return DynamoProductStore(config.products_table_name)


@cache
def _files() -> S3ImageStorage:
    return S3ImageStorage(config.images_bucket_name)


prime(_products, _files)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Register every uploaded object the S3 notification names.

    Returns
    -------
    dict
        ``{"results": [{key, outcome}]}``, for logs and tests.
    """
    results = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        if record["s3"]["bucket"]["name"] != config.images_bucket_name:
            continue
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 URL-encodes keys in notifications
        if not key.startswith(UPLOAD_PREFIX):
            continue
        outcome = register_upload(_products(), _files(), key)
        logger.info("upload processed", extra={"key": key, "outcome": outcome.outcome})
        metrics.add_metric(name=f"Images{outcome.outcome.capitalize()}", unit="Count", value=1)
        results.append({"key": key, "outcome": outcome.outcome})
    return {"results": results}
