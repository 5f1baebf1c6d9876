"""RFC 9457 problem details: the one error format of every endpoint.

Domain and data code raise :class:`Problem` subclasses; the HTTP layer turns them into
``application/problem+json`` responses. Nothing else produces error bodies.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are identifiers, not pages: .example is reserved (RFC 2606) so they never collide.
PROBLEM_TYPE_BASE = "https://catalog.example/problems/"


class FieldError(BaseModel):
    """One invalid member of a request: where (dotted path) and why."""

    field: str
    message: str


class ProblemDetails(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class Problem(Exception):
    """An error the client can act on, rendered as problem details."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    slug: str = "internal-error"

    def __init__(
        self, detail: str, *, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def details(self) -> ProblemDetails:
        """The RFC 9457 body of this problem."""
        return ProblemDetails(
            type=PROBLEM_TYPE_BASE + self.slug,
            title=self.status.phrase,
            status=int(self.status),
            detail=self.detail,
            errors=self.errors,
        )

    def body(self) -> str:
        """The JSON text of this problem, without absent members."""
        return self.details().model_dump_json(exclude_none=True)


class ValidationProblem(Problem):
    """400: malformed JSON, a schema violation, or a bad query parameter or cursor."""

    status = HTTPStatus.BAD_REQUEST
    slug = "validation-error"


class MalformedJson(Problem):
    """400: the body is not JSON."""

    status = HTTPStatus.BAD_REQUEST
    slug = "malformed-json"


class Unauthorized(Problem):
    """401: no or invalid credentials."""

    status = HTTPStatus.UNAUTHORIZED
    slug = "unauthorized"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="catalog-admin"'})


class Forbidden(Problem):
    """403: authenticated, but not a catalog admin."""

    status = HTTPStatus.FORBIDDEN
    slug = "forbidden"


class NotFound(Problem):
    """404: no such product, image or route."""

    status = HTTPStatus.NOT_FOUND
    slug = "not-found"


class MethodNotAllowed(Problem):
    """405: the resource exists but not with this method."""

    status = HTTPStatus.METHOD_NOT_ALLOWED
    slug = "method-not-allowed"


class Conflict(Problem):
    """409: the request conflicts with the current state."""

    status = HTTPStatus.CONFLICT
    slug = "conflict"


class DuplicateSku(Problem):
    """409: another product already has this SKU."""

    status = HTTPStatus.CONFLICT
    slug = "duplicate-sku"


class InsufficientStock(Problem):
    """409: the adjustment would take stock below zero."""

    status = HTTPStatus.CONFLICT
    slug = "insufficient-stock"


class IdempotencyKeyReused(Problem):
    """409: the idempotency key was used with another request body."""

    status = HTTPStatus.CONFLICT
    slug = "idempotency-key-reused"


class RequestInProgress(Problem):
    """409: a request with the same idempotency key is still being processed."""

    status = HTTPStatus.CONFLICT
    slug = "request-in-progress"


class PreconditionFailed(Problem):
    """412: `If-Match` names a version that is no longer current."""

    status = HTTPStatus.PRECONDITION_FAILED
    slug = "precondition-failed"


class PayloadTooLarge(Problem):
    """413: the body is over the limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    slug = "payload-too-large"


class UnsupportedMediaType(Problem):
    """415: the body is not JSON."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    slug = "unsupported-media-type"


class InternalError(Problem):
    """500: never carries internals; the request id in the response leads to the logs."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR
    slug = "internal-error"

    def __init__(
        self, detail: str = "the request could not be completed; quote X-Request-Id when reporting it"
    ) -> None:
        super().__init__(detail)


def field_errors_from_pydantic(errors: list[dict[str, Any]] | Any) -> list[FieldError]:
    """Turn pydantic/Powertools validation errors into `{field, message}` entries.

    The leading ``body``/``query``/``path`` location segment is kept out of the field path so that
    ``price`` reads as ``price``; the input value is never echoed back.
    """
    result = []
    for error in errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")
        ]
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "extra_forbidden":
            message = "is not a known field"
        result.append(
            FieldError(field=".".join(location) or "body", message=message.removeprefix("Value error, "))
        )
    return result
