"""The local AWS endpoint without the socket, for callers inside the runtime's own process.

The functions, pollers and the edge run in the same process as moto's server and address it by
its URL (``AWS_ENDPOINT_URL``), as they would address AWS. Sending those requests over TCP cost
most of a local admin write: botocore's HTTP client, a socket round trip, and a new werkzeug
thread per connection, all competing for one GIL (decision 48).

:func:`dispatch_in_process` registers a botocore ``before-send`` hook: a request to the local
endpoint's URL is handed straight to the same WSGI application the server runs, so it is
answered by the same backends, with the same serialisation and presigned-POST checks; anything
else (the AWS CLI, another process, a different URL) still goes over HTTP. URLs, signatures
and presigned URLs are unchanged, so no function code or environment variable changes.

A JSON-protocol service can be given a *direct* handler, chosen by the request's
``X-Amz-Target`` prefix: its requests then skip the WSGI environ, moto's host dispatcher and
Flask, and reach the service's response class the way ``mock_aws`` hands them on (about a
quarter of the cost of a small DynamoDB request; decision 67).

A function running in a process of its own (:mod:`local.function_process`) forwards its requests
to the runtime over its pipe (:func:`forwarded`); the runtime answers them here
(:func:`answer_forwarded`), exactly as it answers its own, and the child reads the answer back as
a botocore response (:func:`answered`). No HTTP server sits in between (decision 68).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from werkzeug.test import EnvironBuilder, run_wsgi_app

WsgiApp = Callable[..., Any]
# A request, and its answer, as plain values a pipe can carry between processes.
ForwardedRequest = tuple[str, str, list[tuple[str, str]], bytes]
ForwardedAnswer = tuple[int, list[tuple[str, str]], bytes]
# A direct handler answers a prepared request with status, headers and body.
DirectHandler = Callable[[AWSPreparedRequest], tuple[int, Mapping[str, str], bytes | str]]


class _Body(io.BytesIO):
    """A response body botocore can read whole or stream (``AWSResponse.raw``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def _request_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if hasattr(body, "read"):  # streamed uploads (S3 PutObject of a file)
        data = body.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    return bytes(body)


class InProcessEndpoint:
    """A botocore ``before-send`` hook answering requests to ``endpoint_url`` with ``app``."""

    def __init__(
        self, endpoint_url: str, app: WsgiApp, direct: Mapping[str, DirectHandler] | None = None
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self._prefix = self.endpoint_url + "/"
        self._app = app
        self._direct = dict(direct or {})
        self.enabled = True
        self.requests = 0
        self.direct_requests = 0

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        """The response, or None to let botocore send requests for other URLs over HTTP."""
        url = request.url or ""
        if not self.enabled or not (url == self.endpoint_url or url.startswith(self._prefix)):
            return None
        handler = self._direct_handler(request)
        if handler is not None:
            code, answer_headers, answer = handler(request)
            self.requests += 1
            self.direct_requests += 1
            return _response(
                url, code, answer_headers.items(), answer.encode() if isinstance(answer, str) else answer
            )
        headers = [
            (name, value.decode() if isinstance(value, bytes) else str(value))
            for name, value in request.headers.items()
        ]
        environ = EnvironBuilder(
            path=url[len(self.endpoint_url) :].split("?", 1)[0] or "/",
            base_url=self.endpoint_url,
            query_string=url.split("?", 1)[1] if "?" in url else None,
            method=request.method,
            headers=headers,
            data=_request_body(request.body),
        ).get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        app_iter, status, response_headers = run_wsgi_app(self._app, environ, buffered=True)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        self.requests += 1
        return _response(url, int(status.split(" ", 1)[0]), response_headers.items(), body)

    def _direct_handler(self, request: AWSPreparedRequest) -> DirectHandler | None:
        if not self._direct:
            return None
        target = request.headers.get("X-Amz-Target")
        if target is None:
            return None
        text = target.decode() if isinstance(target, bytes) else str(target)
        for prefix, handler in self._direct.items():
            if text.startswith(prefix):
                return handler
        return None


def _response(url: str, status: int, headers: Iterable[tuple[str, Any]], body: bytes) -> AWSResponse:
    answer_headers = HTTPHeaders()
    for name, value in headers:
        answer_headers[name] = str(value)
    return AWSResponse(url, status, answer_headers, _Body(body))


# Every endpoint served in process, by URL. One hook, registered with botocore's built-in
# handlers when this module is imported, consults it: sessions copy the built-in handlers when
# they are created, so a hook added later would miss the sessions that already exist.
_ENDPOINTS: dict[str, InProcessEndpoint] = {}


def _dispatch(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
    for endpoint in list(_ENDPOINTS.values()):
        response = endpoint(request, **kwargs)
        if response is not None:
            return response
    return None


BUILTIN_HANDLERS.append(("before-send", _dispatch))


def dispatch_in_process(
    endpoint_url: str, app: WsgiApp, direct: Mapping[str, DirectHandler] | None = None
) -> InProcessEndpoint:
    """Answer every botocore request to ``endpoint_url`` made in this process with ``app``.

    Requests whose ``X-Amz-Target`` starts with a key of ``direct`` go to that handler instead.
    Applies to the clients of every session created after this module was imported (Powertools
    creates its own sessions), including clients that already exist; :func:`stop_dispatching`
    ends it.
    """
    hook = InProcessEndpoint(endpoint_url, app, direct)
    _ENDPOINTS[hook.endpoint_url] = hook
    return hook


def stop_dispatching(hook: InProcessEndpoint) -> None:
    """Send requests to the hook's endpoint over HTTP again."""
    hook.enabled = False
    if _ENDPOINTS.get(hook.endpoint_url) is hook:
        del _ENDPOINTS[hook.endpoint_url]


def forwarded(request: AWSPreparedRequest) -> ForwardedRequest:
    """``request`` as plain values (method, URL, headers, body) for :func:`answer_forwarded`."""
    headers = [
        (name, value.decode() if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
    ]
    return request.method, request.url or "", headers, _request_body(request.body)


def answer_forwarded(request: ForwardedRequest) -> ForwardedAnswer:
    """Answer a request another process forwarded, as this process's own requests are answered.

    A URL no in-process endpoint serves is answered 502, so the sender fails instead of waiting.
    """
    method, url, header_list, body = request
    headers = HTTPHeaders()
    for name, value in header_list:
        headers[name] = value
    response = _dispatch(AWSPreparedRequest(method, url, headers, body, stream_output=False))
    if response is None:
        return 502, [("Content-Type", "text/plain")], f"no in-process endpoint serves {url}".encode()
    return response.status_code, list(response.headers.items()), response.content


def answered(url: str, answer: ForwardedAnswer) -> AWSResponse:
    """The botocore response for the answer :func:`answer_forwarded` gave to a request for ``url``."""
    status, headers, body = answer
    return _response(url, status, headers, body)
