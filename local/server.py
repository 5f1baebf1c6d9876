"""The catalog port: a threaded HTTP/1.1 server from the standard library around a :class:`Handler`.

Only the wire format lives here (request line, headers, ``Content-Length`` or chunked bodies,
keep-alive); every decision is the handler's. Errors the server detects itself (a malformed
request, a body over the limit) are answered in problem+json like every other error.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from local.gateway import MAX_PAYLOAD_BYTES
from local.web import Handler, HttpRequest, HttpResponse, problem_response
from shared.problems import InternalError, PayloadTooLarge, Problem, ValidationProblem

log = logging.getLogger("local.server")

# Framing headers are the server's to write, whatever a handler or origin put in its response.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_NO_BODY_STATUSES = frozenset({204, 304})
# An HTTP method is a token (RFC 9110, section 5.6.2).
_METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class _BodyTooLarge(Exception):
    pass


class _ServerError(Problem):
    """An error the HTTP layer itself detects (bad request line, header too long...)."""

    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = status.phrase.lower().replace(" ", "-")


class CatalogServer(ThreadingHTTPServer):
    """One thread per connection; worker threads never keep the process alive."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: Handler | None = None,
        access_log: Callable[[HttpRequest, HttpResponse, float], None] | None = None,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.app = app
        self.access_log = access_log

    @property
    def port(self) -> int:
        """The bound port (useful when bound to port 0)."""
        return int(self.server_address[1])


class _RequestHandler(BaseHTTPRequestHandler):
    server: CatalogServer
    protocol_version = "HTTP/1.1"
    server_version = "catalog-local"
    sys_version = ""
    # A response leaves in one write, sent at once. Unbuffered, its headers and body were two
    # writes, and Nagle's algorithm held the body until the client's delayed ACK: ~40 ms on every
    # keep-alive request. The handler flushes the buffer after each request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        """The ``Server`` header: no Python version."""
        return self.server_version

    def _serve(self) -> None:
        started = time.monotonic()
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True
            self._write(problem_response(PayloadTooLarge("the request body is over 10 MiB")))
            return
        except ValueError:
            self.close_connection = True
            self._write(problem_response(ValidationProblem("the request body is not framed correctly")))
            return
        target = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=target.path or "/",
            query=target.query,
            headers=tuple(self.headers.items()),
            body=body,
            client_ip=str(self.client_address[0]),
        )
        app = self.server.app
        try:
            if app is None:
                raise RuntimeError("the catalog is still starting")
            response = app(request)
        except Exception:
            log.exception("unhandled error serving %s %s", request.method, request.target())
            response = problem_response(InternalError())
        self._write(response)
        if self.server.access_log is not None:
            self.server.access_log(request, response, time.monotonic() - started)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve  # noqa: N815
    do_TRACE = do_CONNECT = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Callable[[], None]:
        # The standard library answers 501 to any method without a do_<METHOD>; the catalog serves
        # every well-formed method token (QUERY, PROPFIND, ...) so the gateway and the edge can
        # answer 405 with Allow, as the contract asks for any method a resource does not serve.
        if name.startswith("do_") and _METHOD_TOKEN.fullmatch(name[3:]):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_PAYLOAD_BYTES:
            raise _BodyTooLarge
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers end with a blank line
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_PAYLOAD_BYTES:
                raise _BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)  # the CRLF after each chunk

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _FRAMING_HEADERS:
                self.send_header(name, value)
        if response.status not in _NO_BODY_STATUSES:
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.status not in _NO_BODY_STATUSES:
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, _explain: str | None = None) -> None:
        """Errors found while parsing the request line or headers, in problem+json."""
        self.close_connection = True
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST

        if getattr(self, "command", None) is None:
            self.command = "GET"  # the request line was unreadable; answer with headers and a body
        # An unreadable request line is taken for HTTP/0.9, which has no status line: answer in 1.1.
        self.request_version = "HTTP/1.1"
        self._write(problem_response(_ServerError(status, message or status.phrase)))

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the runtime writes its own access log."""
