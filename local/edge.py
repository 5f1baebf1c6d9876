"""The local CDN: a cache in front of the public API and the images bucket, like the stack's CloudFront.

What it reproduces, because clients and tests depend on it:

* cache behaviours by path: ``/products*`` and ``/categories*`` go to the API (through the local API
  Gateway), ``/images/*`` to the bucket's ``images/`` prefix; only GET, HEAD and OPTIONS are
  allowed (anything else: 405 problem);
* the cache key is the path plus the public query normalised as the viewer-request function
  does (``shared.routes.canonical_public_query``); the origin receives only those, never
  ``Authorization`` or cookies, so one shopper's request cannot change what another one is served;
* the TTL is the response's ``s-maxage`` (else ``max-age``), capped by the policy's maximum TTL,
  or the operator's override (``CATALOG_EDGE_TTL``); ``no-store``/``no-cache``/``private`` responses
  are not stored; 404s are kept 10 s at most; ``stale-while-revalidate`` serves a stale copy while
  one background request refreshes it; an expired copy with an ETag is revalidated with
  ``If-None-Match`` (``X-Cache: RefreshHit`` when the origin answers 304);
* ``If-None-Match`` is answered from the cache with 304; HEAD is answered from the GET entry;
  every response says ``X-Cache: Hit|Miss|RefreshHit``, and hits carry ``Age``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode

from botocore.exceptions import ClientError

from local.web import Handler, HttpRequest, HttpResponse, new_request_id, problem_response
from shared.http_names import REQUEST_ID_HEADER
from shared.problems import MethodNotAllowed, NotFound
from shared.tables import IMAGE_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_METHODS = ("GET", "HEAD", "OPTIONS")
CACHEABLE_STATUSES = frozenset({200, 301, 404, 410})
NOT_FOUND_MAX_TTL = 10
# CloudFront's "error caching minimum TTL" for an error response without cache directives.
ERROR_DEFAULT_TTL = 10
# Only what a preflight needs reaches the origin; everything else the viewer sends is dropped.
PREFLIGHT_HEADERS = ("origin", "access-control-request-method", "access-control-request-headers")
VIA = "1.1 local-edge (CloudFront)"
# The stack's response headers policy: added to (and overriding) every response of the edge.
SECURITY_HEADERS = (
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
)


def _no_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A behaviour whose cache key holds no query parameter (the images)."""
    del pairs
    return []


@dataclass(frozen=True)
class Behavior:
    """One cache behaviour: the paths it serves, its origin and the query parameters in its cache key."""

    name: str
    path_prefixes: tuple[str, ...]
    origin: Handler
    # The viewer-request normalisation: which query parameters form the cache key, and how.
    normalize_query: Callable[[Iterable[tuple[str, str]]], list[tuple[str, str]]] = _no_query
    ttl_override: int | None = None
    allowed_methods: tuple[str, ...] = READ_METHODS
    # The cache policy's default TTL, for a response without Cache-Control.
    default_ttl: int = 0

    def matches(self, path: str) -> bool:
        """Whether ``path`` belongs to this behaviour (``/products`` and ``/products/...``)."""
        return any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in self.path_prefixes)

    def cache_query(self, query: str) -> str:
        """The canonical query string that the stack's viewer-request function makes.

        CloudFront computes the cache key after it, so ``?limit=5&category=x&utm=y`` and
        ``?category=x&limit=5`` share one entry; the origin receives the same string.
        """
        return urlencode(self.normalize_query(parse_qsl(query, keep_blank_values=True)))


@dataclass
class _Entry:
    response: HttpResponse
    stored_at: float
    ttl: float
    stale_while_revalidate: float

    @property
    def etag(self) -> str | None:
        return self.response.header("ETag")


def cache_directives(value: str | None) -> dict[str, str | None]:
    """``Cache-Control`` as a mapping of lower-case directive → argument (None when it has none)."""
    directives: dict[str, str | None] = {}
    for part in (value or "").split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.lower()] = argument.strip().strip('"') or None
    return directives


def _seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def etag_matches(if_none_match: str | None, etag: str | None) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 requires for it)."""
    if not if_none_match or not etag:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


class EdgeCache:
    """A CloudFront-like cache in front of the behaviours' origins."""

    def __init__(
        self,
        behaviors: Sequence[Behavior],
        *,
        max_ttl: int = 86_400,
        max_entries: int = 2048,
        clock: Callable[[], float] = time.monotonic,
        refresh_in_background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self._behaviors = tuple(behaviors)
        self._max_ttl = max_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()
        self._refreshing: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._background = refresh_in_background or _daemon_thread

    def behavior_for(self, path: str) -> Behavior | None:
        """The behaviour serving ``path``, or None when the path is not behind the edge."""
        return next((b for b in self._behaviors if b.matches(path)), None)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer a viewer request from the cache or the origin."""
        behavior = self.behavior_for(request.path)
        if behavior is None:
            return _edge_headers(problem_response(NotFound(f"no resource at {request.path}")), "Error")
        if request.method not in behavior.allowed_methods:
            problem = MethodNotAllowed(
                f"{request.method} is not allowed here: the public catalog is read-only",
                headers={"Allow": ", ".join(behavior.allowed_methods)},
            )
            return _edge_headers(problem_response(problem), "Error")
        if request.method == "OPTIONS":
            return _edge_headers(behavior.origin(self._preflight_request(request, behavior)), "Miss")
        key = (behavior.name, request.path, behavior.cache_query(request.query))
        response, outcome, age = self._lookup(key, behavior, request)
        return self._to_viewer(request, response, outcome, age)

    def clear(self) -> None:
        """Forget every entry (an invalidation of ``/*``)."""
        with self._lock:
            self._entries.clear()

    # -- cache -----------------------------------------------------------------------------------

    def _lookup(
        self, key: tuple[str, str, str], behavior: Behavior, request: HttpRequest
    ) -> tuple[HttpResponse, str, int | None]:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None:
            age = now - entry.stored_at
            if age < entry.ttl:
                return entry.response, "Hit", int(age)
            if age < entry.ttl + entry.stale_while_revalidate:
                self._refresh_later(key, behavior, request)
                return entry.response, "Hit", int(age)
            if entry.etag:
                revalidated = behavior.origin(
                    self._origin_request(request, behavior, if_none_match=entry.etag)
                )
                if revalidated.status == HTTPStatus.NOT_MODIFIED:
                    refreshed = self._merge_304(entry.response, revalidated)
                    self._store(key, behavior, refreshed)
                    return refreshed, "RefreshHit", 0
                self._store(key, behavior, revalidated)
                return revalidated, "Miss", None
        response = behavior.origin(self._origin_request(request, behavior))
        self._store(key, behavior, response)
        return response, "Miss", None

    def _ttl(self, behavior: Behavior, response: HttpResponse) -> tuple[float, float] | None:
        if response.status not in CACHEABLE_STATUSES or response.header("Set-Cookie") is not None:
            return None
        directives = cache_directives(response.header("Cache-Control"))
        if {"no-store", "no-cache", "private"} & directives.keys():
            return None
        ttl = _seconds(directives.get("s-maxage"))
        if ttl is None:
            ttl = _seconds(directives.get("max-age"))
        if ttl is None and response.status < HTTPStatus.BAD_REQUEST:
            ttl = behavior.default_ttl
        if response.status == HTTPStatus.OK and behavior.ttl_override is not None:
            ttl = behavior.ttl_override
        if response.status >= HTTPStatus.BAD_REQUEST:
            ttl = min(ERROR_DEFAULT_TTL if ttl is None else ttl, NOT_FOUND_MAX_TTL)
            if behavior.ttl_override is not None:
                ttl = min(ttl, behavior.ttl_override)
        if not ttl:
            return None
        stale = _seconds(directives.get("stale-while-revalidate")) or 0
        return float(min(ttl, self._max_ttl)), float(stale)

    def _store(self, key: tuple[str, str, str], behavior: Behavior, response: HttpResponse) -> None:
        lifetimes = self._ttl(behavior, response)
        with self._lock:
            if lifetimes is None:
                self._entries.pop(key, None)
                return
            ttl, stale = lifetimes
            self._entries[key] = _Entry(response, self._clock(), ttl, stale)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def _refresh_later(self, key: tuple[str, str, str], behavior: Behavior, request: HttpRequest) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def refresh() -> None:
            try:
                self._store(key, behavior, behavior.origin(self._origin_request(request, behavior)))
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        self._background(refresh)

    @staticmethod
    def _merge_304(stored: HttpResponse, not_modified: HttpResponse) -> HttpResponse:
        # A 304 refreshes the stored response's metadata (RFC 9111 §4.3.4), never its body.
        updates = [
            (name, value)
            for name, value in not_modified.headers
            if name.lower() in ("cache-control", "etag", "expires", "date", "x-request-id")
        ]
        return stored.with_headers(updates)

    # -- requests and responses ------------------------------------------------------------------

    @staticmethod
    def _origin_request(
        request: HttpRequest, behavior: Behavior, if_none_match: str | None = None
    ) -> HttpRequest:
        headers = [
            ("Host", request.header("Host") or "127.0.0.1"),
            ("User-Agent", "Amazon CloudFront"),
            ("Via", VIA),
            ("X-Forwarded-For", request.client_ip),
        ]
        if if_none_match:
            headers.append(("If-None-Match", if_none_match))
        # A HEAD miss is fetched with GET so the entry can answer both.
        return HttpRequest(
            method="GET",
            path=request.path,
            query=behavior.cache_query(request.query),
            headers=tuple(headers),
            client_ip=request.client_ip,
        )

    @staticmethod
    def _preflight_request(request: HttpRequest, behavior: Behavior) -> HttpRequest:
        headers = [(k, v) for k, v in request.headers if k.lower() in PREFLIGHT_HEADERS]
        return HttpRequest(
            method="OPTIONS",
            path=request.path,
            query=behavior.cache_query(request.query),
            headers=(("Via", VIA), *headers),
            client_ip=request.client_ip,
        )

    @staticmethod
    def _to_viewer(
        request: HttpRequest, response: HttpResponse, outcome: str, age: int | None
    ) -> HttpResponse:
        viewer = _edge_headers(response, outcome)
        if age is not None:
            viewer = viewer.with_headers([("Age", str(age))])
        if response.status == HTTPStatus.OK and etag_matches(
            request.header("If-None-Match"), response.header("ETag")
        ):
            kept = [
                (name, value)
                for name, value in viewer.headers
                if name.lower() not in ("content-type", "content-length", "content-encoding")
            ]
            return HttpResponse(int(HTTPStatus.NOT_MODIFIED), tuple(kept), b"", note=outcome)
        return viewer


def _edge_headers(response: HttpResponse, outcome: str) -> HttpResponse:
    return HttpResponse(
        response.status,
        response.with_headers(
            [
                *SECURITY_HEADERS,
                ("X-Cache", outcome),
                ("Via", VIA),
                ("X-Amz-Cf-Id", uuid.uuid4().hex),
                ("X-Amz-Cf-Pop", "LOCAL"),
            ]
        ).headers,
        response.body,
        note=outcome,
    )


def _daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="edge-refresh", daemon=True).start()


@dataclass
class S3Origin:
    """The images origin: ``/images/<key>`` is the object ``images/<key>`` of the private bucket.

    As with origin access control, the bucket is read with the edge's own credentials; the viewer
    never talks to S3. A missing object is a 404 problem (CloudFront's custom error response).
    """

    client: S3Client
    bucket: str
    path_prefix: str = f"/{IMAGE_PREFIX}"
    key_prefix: str = IMAGE_PREFIX
    _passed_headers: tuple[str, ...] = field(
        default=("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Length")
    )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Fetch the object named by the request path."""
        name = unquote(request.path.removeprefix(self.path_prefix))
        if not name or not request.path.startswith(self.path_prefix):
            return problem_response(NotFound(f"no image at {request.path}"))
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key_prefix + name}
        if request.header("If-None-Match"):
            arguments["IfNoneMatch"] = request.header("If-None-Match")
        try:
            found = self.client.get_object(**arguments)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("304", "NotModified") or status == HTTPStatus.NOT_MODIFIED:
                return HttpResponse(int(HTTPStatus.NOT_MODIFIED), self._headers(error.response))
            if code in ("NoSuchKey", "404", "NotFound"):
                return problem_response(NotFound(f"no image at {request.path}"))
            raise
        body = found["Body"].read()
        return HttpResponse(int(HTTPStatus.OK), self._headers(found), body)

    def _headers(self, found: Any) -> tuple[tuple[str, str], ...]:
        metadata = found.get("ResponseMetadata", {})
        raw = {k.lower(): v for k, v in metadata.get("HTTPHeaders", {}).items()}
        headers = [(name, str(raw[name.lower()])) for name in self._passed_headers if name.lower() in raw]
        # Every response names its request; for S3 that is S3's own request id.
        headers.append((REQUEST_ID_HEADER, str(metadata.get("RequestId") or new_request_id())))
        return tuple(headers)
