"""`Idempotency-Key` for admin POSTs, on Powertools Idempotency with a DynamoDB table.

A repeat of the same key with the same (validated, canonical) body within the window returns the
first response and changes nothing; the same key with another body is a 409. The key is scoped to
the caller and the route, so two admins or two products never collide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.data.dynamo import dynamodb_client
from shared.problems import IdempotencyKeyReused, RequestInProgress, ValidationProblem

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"  # 1-128 visible ASCII characters
_VISIBLE_ASCII = re.compile(IDEMPOTENCY_KEY_PATTERN)

StoredResponse = dict[str, Any]


@cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb_client())


def validated_key(header_value: str | None) -> str | None:
    """The idempotency key from its header, or None when absent.

    Raises
    ------
    ValidationProblem
        When the key is not 1–128 visible ASCII characters.
    """
    if header_value is None:
        return None
    if not _VISIBLE_ASCII.match(header_value):
        raise ValidationProblem(f"{IDEMPOTENCY_HEADER} must be 1 to 128 visible ASCII characters")
    return header_value


def run_once(
    *,
    table_name: str,
    ttl_seconds: int,
    key: str | None,
    scope: str,
    payload: Any,
    context: LambdaContext | None,
    operation: Callable[[], StoredResponse],
) -> StoredResponse:
    """Run ``operation`` once per (scope, key); replays return its first, stored result.

    Without a key the operation simply runs. Only successful results are stored: a request that
    failed (a 409 for stock, say) may be retried with the same key.

    Raises
    ------
    IdempotencyKeyReused
        The key was used in this scope with a different payload.
    RequestInProgress
        The first request with this key has not finished yet.
    """
    if key is None:
        return operation()
    config = IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="payload",
        expires_after_seconds=ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if context is not None:
        config.register_lambda_context(context)

    def _operation(request: dict[str, Any]) -> StoredResponse:  # noqa: ARG001 - Powertools hashes it
        return operation()

    guarded = idempotent_function(
        data_keyword_argument="request", persistence_store=_persistence(table_name), config=config
    )(_operation)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    try:
        result: StoredResponse = guarded(request={"scope": scope, "key": key, "payload": canonical})
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReused(
            f"{IDEMPOTENCY_HEADER} was already used with a different request body"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise RequestInProgress(
            f"a request with this {IDEMPOTENCY_HEADER} is still in progress; retry shortly"
        ) from error
    return result
