"""The browser-facing pages of the local runtime: the admin console and the API explorer.

* ``/console`` redirects to ``/console/``; ``/console/<file>`` serves ``admin_console/static/`` as it
  is, except ``config.json``, generated from :class:`~admin_console.config.ConsoleConfig` with the
  runtime's admin token (loopback clients only);
* ``/docs`` is Swagger UI on ``/openapi.json``: our page and start-up script (``local/explorer/``)
  plus Swagger UI's own files from the installed ``swagger-ui-py`` package, so nothing is fetched
  from the internet.

Unknown files are 404 in problem+json; a path that tries to leave its folder is 404 too.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

from admin_console.config import CONFIG_FILE, CONSOLE_PATH, STATIC_DIR, ConsoleConfig, DevTokenSignIn
from admin_console.csp import content_security_policy, origin_of
from local.web import HttpRequest, HttpResponse, problem_response
from shared.problems import MethodNotAllowed, NotFound

DOCS_PATH = "/docs"
EXPLORER_DIR = Path(__file__).parent / "explorer"
# What the browser is told each file is; anything else is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
# The explorer's own files: Swagger UI's assets come from the package, never copied here.
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_SWAGGER_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"})


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's distribution files inside the installed ``swagger-ui-py`` package."""
    # A dev dependency, looked up only when the explorer is asked for; its Python code is not used.
    return Path(str(importlib.resources.files("swagger_ui"))) / "static"


def safe_file(root: Path, relative: str) -> Path | None:
    """The file ``relative`` (percent-encoded, ``/``-separated) names under ``root``, or None.

    None for anything that is not a plain existing file inside ``root``: ``..`` segments (also
    encoded), hidden names, backslashes, NUL bytes and symbolic links pointing elsewhere.
    """
    decoded = unquote(relative)
    if "\\" in decoded or "\x00" in decoded:
        return None
    segments = decoded.split("/")
    if any(segment in ("", ".", "..") or segment.startswith(".") for segment in segments):
        return None
    candidate = (root / posixpath.join(*segments)).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(NotFound(f"{request.path} is not a file of this site"))


def _file_response(path: Path, headers: tuple[tuple[str, str], ...] = ()) -> HttpResponse | None:
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None:
        return None
    return HttpResponse(
        int(HTTPStatus.OK),
        (("Content-Type", content_type), ("Cache-Control", "no-cache"), *headers),
        path.read_bytes(),
    )


@dataclass
class StaticSite:
    """Answers ``/console...`` and ``/docs...``; :meth:`__call__` returns None for any other path."""

    admin_token: str
    upload_origin: str
    swagger_dir: Callable[[], Path] = swagger_ui_dir

    def config_for(self, request: HttpRequest) -> ConsoleConfig:
        """The console's configuration as seen from this request's origin (same-origin APIs)."""
        host = request.header("Host") or ""
        # Only a plain host[:port] becomes part of the page's configuration and policy.
        origin = f"http://{host if _HOST.fullmatch(host) else '127.0.0.1'}"
        return ConsoleConfig(
            admin_api=origin, public_api=origin, sign_in=DevTokenSignIn(token=self.admin_token)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse | None:
        """The response for a console or explorer path, None when the path is neither."""
        path = request.path
        if path == CONSOLE_PATH.rstrip("/") or path == DOCS_PATH + "/":
            return self._only_get(request) or HttpResponse(
                int(HTTPStatus.MOVED_PERMANENTLY),
                (("Location", CONSOLE_PATH if path.startswith("/console") else DOCS_PATH),),
            )
        if path.startswith(CONSOLE_PATH):
            return self._only_get(request) or self._console(request, path.removeprefix(CONSOLE_PATH))
        if path == DOCS_PATH or path.startswith(DOCS_PATH + "/"):
            return self._only_get(request) or self._explorer(request, path.removeprefix(DOCS_PATH))
        return None

    @staticmethod
    def _only_get(request: HttpRequest) -> HttpResponse | None:
        if request.method in ("GET", "HEAD"):
            return None
        return problem_response(
            MethodNotAllowed(f"{request.method} is not allowed here", headers={"Allow": "GET, HEAD"})
        )

    def _console(self, request: HttpRequest, relative: str) -> HttpResponse:
        config = self.config_for(request)
        csp = content_security_policy(
            admin_api_origin=origin_of(config.admin_api), upload_origin=origin_of(self.upload_origin)
        )
        policy = (("Content-Security-Policy", csp),)
        name = relative or "index.html"
        if name == CONFIG_FILE:
            if not _is_loopback(request.client_ip):
                return _not_found(request)  # the dev token is for this machine's browser only
            body = config.model_dump_json(indent=2).encode()
            return HttpResponse(
                int(HTTPStatus.OK),
                (("Content-Type", "application/json"), ("Cache-Control", "no-store"), *policy),
                body,
            )
        found = safe_file(STATIC_DIR, name)
        response = _file_response(found, policy) if found is not None else None
        return response or _not_found(request)

    def _explorer(self, request: HttpRequest, relative: str) -> HttpResponse:
        name = relative.removeprefix("/") or "index.html"
        root = self.swagger_dir() if name in _SWAGGER_ASSETS else EXPLORER_DIR
        found = safe_file(root, name)
        response = _file_response(found) if found is not None else None
        return response or _not_found(request)
