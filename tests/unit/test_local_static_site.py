"""The console's and the explorer's files on the local runtime, and the console's CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from admin_console.config import STATIC_DIR, ConsoleConfig, DevTokenSignIn
from local.static_site import StaticSite, safe_file
from local.web import HttpRequest

UPLOADS = "http://127.0.0.1:4566"


def site() -> StaticSite:
    return StaticSite(admin_token="dev-token-123", upload_origin=UPLOADS)


def get(path: str, *, client_ip: str = "127.0.0.1", method: str = "GET") -> HttpRequest:
    return HttpRequest(method, path, headers=(("Host", "127.0.0.1:3000"),), client_ip=client_ip)


def test_the_console_page_is_served_with_its_content_type_and_a_strict_policy() -> None:
    response = site()(get("/console/"))

    assert response is not None
    assert response.status == 200
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert response.body == (STATIC_DIR / "index.html").read_bytes()
    policy = response.header("Content-Security-Policy") or ""
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy
    assert f"connect-src 'self' http://127.0.0.1:3000 {UPLOADS}" in policy


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/style.css", "text/css; charset=utf-8"),
    ],
)
def test_modules_and_styles_have_the_types_browsers_require(path: str, content_type: str) -> None:
    response = site()(get(path))

    assert response is not None
    assert (response.status, response.header("Content-Type")) == (200, content_type)


def test_config_json_carries_the_dev_token_and_the_same_origin_apis() -> None:
    response = site()(get("/console/config.json"))

    assert response is not None
    document = ConsoleConfig.model_validate_json(response.body)
    assert document.sign_in == DevTokenSignIn(token="dev-token-123")
    assert document.admin_api == document.public_api == "http://127.0.0.1:3000"
    assert response.header("Cache-Control") == "no-store"


def test_config_json_is_refused_to_a_client_that_is_not_on_this_machine() -> None:
    response = site()(get("/console/config.json", client_ip="192.0.2.10"))

    assert response is not None
    assert response.status == 404
    assert b"dev-token-123" not in response.body


@pytest.mark.parametrize(
    "path",
    [
        "/console/../admin_console/config.py",
        "/console/..%2fconfig.py",
        "/console/%2e%2e/%2e%2e/pyproject.toml",
        "/console/views/..%2f..%2fconfig.py",
        "/console/.hidden",
        "/console/no-such-file.js",
        "/console/views",
        "/console/config.py",
        "/docs/..%2fstatic_site.py",
    ],
)
def test_unknown_files_and_escapes_are_404_problems(path: str) -> None:
    response = site()(get(path))

    assert response is not None
    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"
    assert json.loads(response.body)["status"] == 404


def test_safe_file_finds_nested_files_only_inside_the_root() -> None:
    assert safe_file(STATIC_DIR, "views/list.js") == (STATIC_DIR / "views" / "list.js").resolve()
    assert safe_file(STATIC_DIR, "views/%2e%2e/app.js") is None
    assert safe_file(STATIC_DIR, "a\\..\\app.js") is None


def test_bare_paths_redirect_to_the_console_and_the_explorer() -> None:
    console = site()(get("/console"))
    docs = site()(get("/docs/"))

    assert console is not None
    assert docs is not None
    assert (console.status, console.header("Location")) == (301, "/console/")
    assert (docs.status, docs.header("Location")) == (301, "/docs")


def test_the_explorer_serves_swagger_ui_from_the_installed_package() -> None:
    page = site()(get("/docs"))
    bundle = site()(get("/docs/swagger-ui-bundle.js"))

    assert page is not None
    assert bundle is not None
    assert b'src="/docs/swagger-ui-bundle.js"' in page.body
    assert bundle.status == 200
    assert bundle.header("Content-Type") == "text/javascript; charset=utf-8"
    assert b"SwaggerUIBundle" in bundle.body


def test_writes_are_405_with_allow_and_other_paths_are_not_the_sites() -> None:
    refused = site()(get("/console/index.html", method="POST"))

    assert refused is not None
    assert (refused.status, refused.header("Allow")) == (405, "GET, HEAD")
    assert site()(get("/admin/products")) is None
    assert site()(get("/consoles")) is None


@pytest.mark.parametrize("page", sorted(STATIC_DIR.glob("*.html")), ids=lambda path: path.name)
def test_console_pages_need_nothing_a_strict_policy_forbids(page: Path) -> None:
    html = page.read_text(encoding="utf-8")

    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline script"
    assert re.search(r"\son[a-z]+\s*=", html) is None, "inline event handler"
    assert re.search(r"\sstyle\s*=", html) is None, "style attribute"
    assert re.search(r"(src|href)=\"(https?:)?//", html) is None, "remote asset"


@pytest.mark.parametrize("module", sorted(STATIC_DIR.rglob("*.js")), ids=lambda path: path.name)
def test_console_modules_never_evaluate_strings_as_code_or_markup(module: Path) -> None:
    source = module.read_text(encoding="utf-8")

    for forbidden in (
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
    ):
        assert forbidden not in source, forbidden


def test_a_host_header_that_is_not_a_host_is_not_echoed_into_the_page() -> None:
    request = HttpRequest("GET", "/console/config.json", headers=(("Host", "evil.example/x'; script-src *"),))

    response = site()(request)

    assert response is not None
    assert ConsoleConfig.model_validate_json(response.body).admin_api == "http://127.0.0.1"
    assert "evil" not in (response.header("Content-Security-Policy") or "")
