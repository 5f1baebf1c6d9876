"""Plain HTTP requests and responses, independent of any server, plus problem+json rendering.

The gateway, the edge cache and the local endpoints are functions from :class:`HttpRequest` to
:class:`HttpResponse`, so they are tested without sockets and the server adapter stays thin.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Protocol

from shared.http_names import REQUEST_ID_HEADER
from shared.problems import PROBLEM_CONTENT_TYPE, Problem


@dataclass(frozen=True)
class HttpRequest:
    """One request as the client sent it: ``path`` without the query, ``query`` undecoded."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The last value of a header (names are case-insensitive), or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found

    def header_dict(self) -> dict[str, str]:
        """Headers as one value per name, the last one winning, as API Gateway's ``headers``."""
        return dict(self.headers)

    def target(self) -> str:
        """Path and query as on the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass(frozen=True)
class HttpResponse:
    """One response: status, headers in order (names may repeat), body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # For logs only: how the response was produced (edge cache outcome, function name).
    note: str = field(default="", compare=False)

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def with_headers(self, headers: Iterable[tuple[str, str]]) -> HttpResponse:
        """A copy with ``headers`` set, replacing any existing values of the same names."""
        new = list(headers)
        names = {key.lower() for key, _ in new}
        kept = [(key, value) for key, value in self.headers if key.lower() not in names]
        return replace(self, headers=(*kept, *new))

    def without_headers(self, *names: str) -> HttpResponse:
        """A copy without the named headers."""
        lowered = {name.lower() for name in names}
        return replace(self, headers=tuple((k, v) for k, v in self.headers if k.lower() not in lowered))


class Handler(Protocol):
    """Anything that answers HTTP requests: the gateway, the edge, the local endpoints."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer one request."""
        ...


def new_request_id() -> str:
    """A request id for responses the local runtime produces itself."""
    return str(uuid.uuid4())


def problem_response(problem: Problem, request_id: str | None = None, note: str = "") -> HttpResponse:
    """Render ``problem`` as ``application/problem+json``, with its headers and an ``X-Request-Id``."""
    headers = [
        ("Content-Type", PROBLEM_CONTENT_TYPE),
        *problem.headers.items(),
        (REQUEST_ID_HEADER, request_id or new_request_id()),
    ]
    return HttpResponse(int(problem.status), tuple(headers), problem.body().encode(), note=note)


class BadGateway(Problem):
    """502: the function failed or answered something that is not a proxy response."""

    status = HTTPStatus.BAD_GATEWAY
    slug = "bad-gateway"

    def __init__(
        self, detail: str = "the function did not answer; quote X-Request-Id when reporting it"
    ) -> None:
        super().__init__(detail)


class ServiceUnavailable(Problem):
    """503: a part of the local runtime is not available (yet)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    slug = "service-unavailable"
