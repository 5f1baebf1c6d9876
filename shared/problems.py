"""RFC 9457 problem details: the one error format of every endpoint.

The error convention (docs/decisions.md): the data layer raises its own storage exceptions
(``SkuTaken``, ``WriteConflict``, ...); domain logic translates them and raises :class:`Problem`
subclasses; handlers never catch or map errors; the HTTP layer turns problems into
``application/problem+json`` responses. Nothing else produces error bodies. The OpenAPI document's
error responses are derived from these classes (:func:`problem_classes`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel

PROBLEM_CONTENT_TYPE = "application/problem+json"
_FUNCTION_PACKAGES = ("shared", "commands", "queries", "projectors")
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
    # Only the admin API can answer it (auth, bodies, writes); the OpenAPI document is built from this.
    admin_only: ClassVar[bool] = False

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
    """400: a body or query parameter breaks the rules, or the cursor is not valid."""

    status = HTTPStatus.BAD_REQUEST
    slug = "validation-error"


class MalformedJson(Problem):
    """400: the body is not well-formed JSON."""

    status = HTTPStatus.BAD_REQUEST
    slug = "malformed-json"
    admin_only = True


class Unauthorized(Problem):
    """401: no or invalid credentials."""

    status = HTTPStatus.UNAUTHORIZED
    slug = "unauthorized"
    admin_only = True

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="catalog-admin"'})


class Forbidden(Problem):
    """403: authenticated, but not a catalog admin."""

    status = HTTPStatus.FORBIDDEN
    slug = "forbidden"
    admin_only = True


class NotFound(Problem):
    """404: no such product, image or route."""

    status = HTTPStatus.NOT_FOUND
    slug = "not-found"


class MethodNotAllowed(Problem):
    """405: the resource exists but not with this method."""

    status = HTTPStatus.METHOD_NOT_ALLOWED
    slug = "method-not-allowed"


class DuplicateSku(Problem):
    """409: another product already has this SKU."""

    status = HTTPStatus.CONFLICT
    slug = "duplicate-sku"
    admin_only = True


class InsufficientStock(Problem):
    """409: the adjustment would take stock below zero."""

    status = HTTPStatus.CONFLICT
    slug = "insufficient-stock"
    admin_only = True


class IdempotencyKeyReused(Problem):
    """409: the idempotency key was used with another request body."""

    status = HTTPStatus.CONFLICT
    slug = "idempotency-key-reused"
    admin_only = True


class RequestInProgress(Problem):
    """409: a request with the same idempotency key is still being processed."""

    status = HTTPStatus.CONFLICT
    slug = "request-in-progress"
    admin_only = True


class PreconditionFailed(Problem):
    """412: `If-Match` names a version that is no longer current."""

    status = HTTPStatus.PRECONDITION_FAILED
    slug = "precondition-failed"
    admin_only = True


class PayloadTooLarge(Problem):
    """413: the body is over the limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    slug = "payload-too-large"
    admin_only = True


class UnsupportedMediaType(Problem):
    """415: the body's media type is not JSON."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    slug = "unsupported-media-type"
    admin_only = True


class TooManyRequests(Problem):
    """429: over the API's rate limit (answered by the gateway); retry later."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    slug = "too-many-requests"


class InternalError(Problem):
    """500: an internal error; no internals disclosed, the X-Request-Id leads to the logs."""

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


def problem_classes(admin: bool) -> list[type[Problem]]:
    """Every problem type the catalog's functions can answer with, on the admin or the public API.

    Subclasses defined beside their logic (e.g. in ``commands``) count once their module is
    imported; the local runtime's own problems (``local``) are not the functions' and are left out.
    """
    found: list[type[Problem]] = []
    pending = list(Problem.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in _FUNCTION_PACKAGES and (admin or not cls.admin_only):
            found.append(cls)
    return sorted(found, key=lambda cls: (int(cls.status), cls.slug))
