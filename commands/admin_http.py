"""HTTP pieces the admin command handlers share: headers they read and responses they build."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel

from commands.idempotency import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, run_once, validated_key
from shared.config import AdminApiConfig
from shared.http import IF_MATCH_PATTERN, JSON_CONTENT_TYPE, etag

# The patterns are documented here and enforced by expected_version / validated_key, which answer
# with the contract's statuses (412, 400) rather than the resolver's generic validation error.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Apply only if the product is at this ETag, e.g. "3"; `*` for any version.',
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="1–128 visible ASCII characters; repeats within 24 h replay.",
        json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
    ),
]


def actor(app: APIGatewayRestResolver) -> str:
    """The authenticated admin making the request (set by the admin auth middleware)."""
    return str(app.context["actor"])


def stored(
    model: BaseModel, status: HTTPStatus, version: int | None = None, **headers: str
) -> dict[str, Any]:
    """A response in the form idempotency stores and replays."""
    all_headers = {"Cache-Control": "no-store", **headers}
    if version is not None:
        all_headers["ETag"] = etag(version)
    return {"status": int(status), "headers": all_headers, "body": model.model_dump_json()}


def respond(result: dict[str, Any]) -> Response[str]:
    """Turn a stored response back into an HTTP response."""
    return Response(
        status_code=result["status"],
        content_type=JSON_CONTENT_TYPE,
        body=result["body"],
        headers=result["headers"],
    )


def no_content() -> Response[str]:
    """204 with no body."""
    return Response(status_code=int(HTTPStatus.NO_CONTENT), body="", headers={"Cache-Control": "no-store"})


def once(
    app: APIGatewayRestResolver,
    config: AdminApiConfig,
    idempotency_key: str | None,
    payload: Any,
    operation: Callable[[], dict[str, Any]],
) -> Response[str]:
    """Run an admin POST at most once per caller, route and `Idempotency-Key`; replays answer alike.

    ``payload`` is what a repeat must match (the validated body, plus any precondition).
    """
    event = app.current_event
    return respond(
        run_once(
            table_name=config.idempotency_table_name,
            ttl_seconds=config.idempotency_ttl_seconds,
            key=validated_key(idempotency_key),
            scope=f"{actor(app)} {event.http_method} {event.path}",
            payload=payload,
            context=app.lambda_context,
            operation=operation,
        )
    )
