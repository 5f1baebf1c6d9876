"""The HTTP edge of every API function: resolver set-up, auth, body rules and problem responses.

Each API handler module builds its resolver with :func:`admin_resolver` or :func:`public_resolver`,
declares its routes, and exports ``handler = api_handler(app)``. Everything HTTP-generic lives here
once: problem+json for every error, 400 (not Powertools' 422) for validation errors, 405, 413,
415, the admin group check, `X-Request-Id` on every response, ETag and `If-Match` handling.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shared.http_names import ADMIN_GROUP, REQUEST_ID_HEADER
from shared.models.product import parse_json
from shared.observability import logger, metrics, tracer
from shared.problems import (
    PROBLEM_CONTENT_TYPE,
    Forbidden,
    InternalError,
    MalformedJson,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Problem,
    Unauthorized,
    UnsupportedMediaType,
    ValidationProblem,
    field_errors_from_pydantic,
)
from shared.routes import ROUTES, Route

MAX_BODY_BYTES = 64 * 1024
JSON_CONTENT_TYPE = "application/json"
NO_STORE = "no-store"


def problem_response(problem: Problem) -> Response[str]:
    """Render a problem as an ``application/problem+json`` response."""
    return Response(
        status_code=int(problem.status),
        content_type=PROBLEM_CONTENT_TYPE,
        body=problem.body(),
        headers=dict(problem.headers),
    )


def json_response(
    model: BaseModel, status: HTTPStatus = HTTPStatus.OK, headers: dict[str, str] | None = None
) -> Response[str]:
    """A JSON response rendered from a response model (prices as exact JSON numbers)."""
    return Response(
        status_code=int(status),
        content_type=JSON_CONTENT_TYPE,
        body=model.model_dump_json(),
        headers=headers or {},
    )


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "/?$")


_ROUTE_PATTERNS: list[tuple[re.Pattern[str], Route]] = [(_route_pattern(r.path), r) for r in ROUTES]


def _route_for(method: str, path: str) -> Route | None:
    return next((r for pattern, r in _ROUTE_PATTERNS if r.method == method and pattern.match(path)), None)


def _allowed_methods(path: str) -> list[str]:
    methods = {r.method for pattern, r in _ROUTE_PATTERNS if pattern.match(path)}
    if "GET" in methods:
        methods.add("HEAD")  # served by the GET route (API Gateway's ANY fallback forwards it)
    return sorted(methods)


Guard = Callable[[dict[str, Any]], dict[str, Any]]


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    for section, wrap in (("headers", lambda v: v), ("multiValueHeaders", lambda v: [v])):
        headers = {k: v for k, v in (event.get(section) or {}).items() if k.lower() != name}
        headers[name] = wrap(value)
        event[section] = headers


def enforce_body_rules(event: dict[str, Any]) -> dict[str, Any]:
    """413 for bodies over 64 KiB and 415 for non-JSON bodies, before anything parses them."""
    route = _route_for(event.get("httpMethod", ""), event.get("resource") or event.get("path", ""))
    if route is None or route.body is None:
        return {}
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body is {size} bytes; the limit is {MAX_BODY_BYTES}")
    media_type = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if media_type not in route.body_content_types or event.get("isBase64Encoded"):
        raise UnsupportedMediaType(f"send the body as {' or '.join(route.body_content_types)}")
    if media_type != JSON_CONTENT_TYPE:
        # Powertools validates application/json bodies only; merge-patch+json is JSON by definition.
        _set_header(event, "content-type", JSON_CONTENT_TYPE)
    return {}


def _groups(claims: dict[str, Any]) -> set[str]:
    # API Gateway renders the cognito:groups claim as a string ("[a b]" or "a,b") or a list.
    raw = claims.get("cognito:groups", "")
    if isinstance(raw, list):
        return {str(group) for group in raw}
    return {group for group in re.split(r"[\s,\[\]]+", str(raw)) if group}


def require_admin(event: dict[str, Any]) -> dict[str, Any]:
    """401 without an authenticated identity, 403 without the catalog-admins group.

    On AWS the Cognito authorizer rejects bad tokens first; this is the second, independent check,
    and it names the actor recorded on every change.
    """
    if event.get("httpMethod") == "OPTIONS":
        return {}  # CORS preflights carry no credentials by design.
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    actor = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not actor:
        raise Unauthorized()
    if ADMIN_GROUP not in _groups(claims):
        raise Forbidden(f"this call needs membership of the '{ADMIN_GROUP}' group")
    return {"actor": str(actor)}


Finisher = Callable[[dict[str, Any]], None]


class CatalogResolver(APIGatewayRestResolver):
    """A REST resolver with guards that run before routing, as API Gateway's own checks do, and
    finishers that every response passes through last (errors included)."""

    def __init__(
        self, cors: CORSConfig, guards: tuple[Guard, ...] = (), finishers: tuple[Finisher, ...] = ()
    ) -> None:
        super().__init__(enable_validation=True, cors=cors, json_body_deserializer=parse_json)
        self.guards = guards
        self.finishers = finishers


def _register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(Problem)  # type: ignore[untyped-decorator]
    def _problem(problem: Problem) -> Response[str]:
        if problem.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.error("request failed", extra={"problem": problem.slug, "detail": problem.detail})
        return problem_response(problem)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(error: RequestValidationError) -> Response[str]:
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(MalformedJson("the request body is not valid JSON"))
        return problem_response(
            ValidationProblem("the request is invalid", errors=field_errors_from_pydantic(errors))
        )

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        event = app.current_event
        allowed = _allowed_methods(event.path)
        # The method is served here, yet no route matched: a path parameter holds characters the
        # resolver's parameter pattern refuses (%00, controls). No resource has such an id: 404.
        if allowed and event.http_method not in allowed:
            return problem_response(
                MethodNotAllowed(
                    f"{event.http_method} is not supported here",
                    headers={"Allow": ", ".join([*allowed, "OPTIONS"])},
                )
            )
        return problem_response(NotFound(f"no resource at {event.path}"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(error: Exception) -> Response[str]:
        # Logged with the stack trace; the client sees no internals.
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
        return problem_response(InternalError())


def _resolver(
    cors: CORSConfig, guards: tuple[Guard, ...] = (), finishers: tuple[Finisher, ...] = ()
) -> CatalogResolver:
    app = CatalogResolver(cors, guards, finishers)
    _register_error_handlers(app)
    return app


def admin_resolver(allowed_origins: tuple[str, ...]) -> CatalogResolver:
    """Resolver for an admin function: admin group required, JSON bodies only, CORS per config."""
    origins = list(allowed_origins)
    cors = CORSConfig(
        allow_origin=origins[0] if origins else "",
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
        expose_headers=["ETag", "Location", REQUEST_ID_HEADER],
        max_age=600,
    )
    return _resolver(cors, guards=(require_admin, enforce_body_rules))


def set_response_header(response: dict[str, Any], name: str, value: str, *, replace: bool = True) -> None:
    """Set a header on a proxy response, whichever of `headers`/`multiValueHeaders` holds it."""
    sections = [response.setdefault("headers", {})]
    if response.get("multiValueHeaders") is not None:
        sections.append(response["multiValueHeaders"])
    present = [key for section in sections for key in section if key.lower() == name.lower()]
    if present and not replace:
        return
    for section in sections:
        for key in [key for key in section if key.lower() == name.lower()]:
            del section[key]
    sections[0][name] = value
    if len(sections) > 1:
        sections[1][name] = [value]


def _shareable(response: dict[str, Any]) -> None:
    # One cached copy serves every origin, so CORS must not depend on the request's Origin; and a
    # 400 or a transient 5xx must never stick in the edge cache (404s set their own short TTL).
    set_response_header(response, "Access-Control-Allow-Origin", "*")
    set_response_header(response, "Access-Control-Expose-Headers", f"ETag,{REQUEST_ID_HEADER}")
    if int(response.get("statusCode", 500)) >= HTTPStatus.BAD_REQUEST:
        set_response_header(response, "Cache-Control", NO_STORE, replace=False)


def public_resolver() -> CatalogResolver:
    """Resolver for a public query function: any origin may read, and responses are CDN-shareable."""
    cors = CORSConfig(allow_origin="*", expose_headers=["ETag", REQUEST_ID_HEADER], max_age=600)
    return _resolver(cors, finishers=(_shareable,))


def _finished(app: CatalogResolver, response: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    request_id = (event.get("requestContext") or {}).get("requestId")
    if request_id:
        set_response_header(response, REQUEST_ID_HEADER, request_id)
    for finish in app.finishers:
        finish(response)
    return response


LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _guarded_resolve(app: CatalogResolver, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request_context: dict[str, Any] = {}
        for guard in app.guards:
            request_context.update(guard(event))
    except Problem as problem:
        response = problem_response(problem)
        if app._cors is not None:
            # Browsers must be able to read a 401/403/413/415 too.
            response.headers.update(app._cors.to_dict(_header(event, "origin")))
        return ResponseBuilder(response).build(APIGatewayProxyEvent(event))  # type: ignore[arg-type]
    app.append_context(**request_context)  # type: ignore[no-untyped-call]
    return app.resolve(event, context)


def api_handler(app: CatalogResolver) -> LambdaHandler:
    """The Lambda entry point for ``app``, with guards, logging, tracing and metrics wired in."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return _finished(app, _guarded_resolve(app, event, context), event)

    return handler


def etag(version: int) -> str:
    """The strong entity tag of a product version."""
    return f'"{version}"'


# What `If-Match` may say: `*` or one entity tag of a version (`"3"`; `W/"3"` is read as `"3"`);
# an empty value is no condition, as an absent header.
IF_MATCH_PATTERN = r'^[ \t]*((\*|(W/)?"[0-9]{1,18}")[ \t]*)?$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` header requires; `None` when absent or `*`.

    Raises
    ------
    ValidationProblem
        When the header is not :data:`IF_MATCH_PATTERN`: malformed input is a 400 like any other;
        412 is kept for a well-formed tag that is not the current version.
    """
    if if_match is None:
        return None
    match = _IF_MATCH.fullmatch(if_match)
    if match is None:
        raise ValidationProblem('If-Match must be * or exactly one entity tag of a version, e.g. "3"')
    tag = match.group(2)
    return None if tag in (None, "*") else int(tag.removeprefix("W/").strip('"'))


def documented(status: HTTPStatus, model: type[BaseModel] | None, description: str) -> dict[int, Any]:
    """The OpenAPI description of a route's success response (errors are added for every route)."""
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {JSON_CONTENT_TYPE: {"model": model}}
    return {int(status): response}
