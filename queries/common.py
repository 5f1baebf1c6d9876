"""What every public query function shares: cached wiring, cache headers, conditional GETs, HEAD.

Public responses are shared by every shopper through the CDN, so they carry no per-user data,
say how long they may be cached, and are identified by a strong ETag computed from the bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from functools import cache
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from queries.cursor import CursorCodec
from queries.data.cursor_secret import CursorSecret
from shared.config import PublicApiConfig, cached_config
from shared.data.views import DynamoViewRepository
from shared.http import (
    JSON_CONTENT_TYPE,
    CatalogResolver,
    problem_response,
)
from shared.problems import FieldError, NotFound, ValidationProblem

HEAD = "HEAD"
READ_METHODS = ["GET", HEAD]


def config() -> PublicApiConfig:
    """The public API settings (read once per process)."""
    settings: PublicApiConfig = cached_config(PublicApiConfig)
    return settings


@cache
def views() -> DynamoViewRepository:
    """The process-wide read-view repository."""
    return DynamoViewRepository(config().views_table_name)


@cache
def cursor_secret() -> CursorSecret:
    """The process-wide cursor-signing secret (values cached for the configured max age)."""
    settings = config()
    return CursorSecret(settings.cursor_secret_arn, settings.cursor_secret_max_age_seconds)


def cursor_codec() -> CursorCodec:
    """A cursor codec keyed with the secret as it is now: the previous value still verifies."""
    secret = cursor_secret()
    return CursorCodec(key=secret.current(), previous_key=secret.previous)


def cache_control(settings: PublicApiConfig) -> str:
    """``Cache-Control`` of a public 200 (and of its 304)."""
    return (
        f"public, max-age={settings.cache_max_age}, s-maxage={settings.cache_s_maxage}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}"
    )


def not_found_cache_control(settings: PublicApiConfig) -> str:
    """``Cache-Control`` of a public 404: briefly, so a product that appears is seen soon."""
    return f"public, max-age={settings.not_found_max_age}, s-maxage={settings.not_found_max_age}"


def entity_tag(body: str) -> str:
    """The strong ETag of a representation: the SHA-256 of its bytes, base64url, quoted."""
    digest = hashlib.sha256(body.encode()).digest()
    return '"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode() + '"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` matches ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


def _header(app: CatalogResolver, name: str) -> str | None:
    value = app.current_event.headers.get(name) or app.current_event.headers.get(name.lower())
    return str(value) if value is not None else None


def cacheable(app: CatalogResolver, model: BaseModel) -> Response[str]:
    """A public 200 of ``model`` with cache headers; 304 if the client holds it; no body for HEAD."""
    body = model.model_dump_json()
    etag = entity_tag(body)
    headers = {"ETag": etag, "Cache-Control": cache_control(config())}
    if none_match(_header(app, "If-None-Match"), etag):
        return Response(status_code=int(HTTPStatus.NOT_MODIFIED), body="", headers=headers)
    if app.current_event.http_method == HEAD:
        return Response(
            status_code=int(HTTPStatus.OK), content_type=JSON_CONTENT_TYPE, body="", headers=headers
        )
    return Response(
        status_code=int(HTTPStatus.OK), content_type=JSON_CONTENT_TYPE, body=body, headers=headers
    )


def not_found(detail: str) -> Response[str]:
    """A 404 problem that the CDN may cache for a few seconds at most."""
    return problem_response(NotFound(detail, headers={"Cache-Control": not_found_cache_control(config())}))


def reject_unknown_parameters(app: CatalogResolver, allowed: Iterable[str]) -> None:
    """400 for query parameters this call does not know, or that are given more than once.

    Raises
    ------
    ValidationProblem
        Naming every offending parameter, so a typo (``?categroy=``) surfaces instead of
        silently returning the unfiltered listing.
    """
    event = app.current_event
    known = set(allowed)
    multi = event.multi_value_query_string_parameters or {}
    single = event.query_string_parameters or {}
    errors = [
        FieldError(field=name, message="is not a known query parameter")
        for name in sorted(set(single) | set(multi))
        if name not in known
    ]
    errors += [
        FieldError(field=name, message="must be given once")
        for name, values in sorted(multi.items())
        if name in known and len(values) > 1
    ]
    if errors:
        raise ValidationProblem("the query string is invalid", errors=errors)
