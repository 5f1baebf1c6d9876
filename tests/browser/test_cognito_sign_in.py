"""Cognito mode of the console (as deployed): PKCE sign-in, token exchange, bearer ID token, sign-out.

A loopback test server serves the console's files with a cognito-mode ``config.json``; the hosted
UI and the admin API are played by Playwright routes, so the test checks exactly what the browser
would send to them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from admin_console.config import CALLBACK_PAGE, CONFIG_FILE, STATIC_DIR, CognitoSignIn, ConsoleConfig
from local.static_site import CONTENT_TYPES, safe_file
from tests.browser.support import s256_challenge

pytestmark = pytest.mark.browser

HOSTED_UI = "https://catalog-admins.auth.us-west-1.amazoncognito.com"
ADMIN_API = "https://admin.catalog.example/prod"


@pytest.fixture(scope="module")
def cognito_console() -> Iterator[str]:
    """The console's static files on a loopback server (a secure context), in cognito mode."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ConsoleFiles)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    _ConsoleFiles.config = ConsoleConfig(
        admin_api=ADMIN_API,
        public_api="https://shop.catalog.example",
        sign_in=CognitoSignIn(
            domain=HOSTED_UI,
            client_id="console-client-id",
            redirect_uri=f"{origin}/console/{CALLBACK_PAGE}",
            logout_uri=f"{origin}/console/",
        ),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    server.server_close()


class _ConsoleFiles(BaseHTTPRequestHandler):
    config: ConsoleConfig

    def do_GET(self) -> None:
        relative = urlsplit(self.path).path.removeprefix("/console/") or "index.html"
        if relative == CONFIG_FILE:
            body, content_type = self.config.model_dump_json().encode(), "application/json"
        else:
            found = safe_file(STATIC_DIR, relative)
            if found is None:
                self.send_error(404)
                return
            body, content_type = found.read_bytes(), CONTENT_TYPES[found.suffix]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _landing(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body="<p>hosted UI</p>")


def test_sign_in_redirects_to_the_hosted_ui_with_a_pkce_challenge(page: Page, cognito_console: str) -> None:
    page.route(f"{HOSTED_UI}/**", _landing)
    page.goto(f"{cognito_console}/console/#/imports")
    page.wait_for_url(f"{HOSTED_UI}/oauth2/authorize?**")

    query = {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "console-client-id"
    assert query["redirect_uri"] == f"{cognito_console}/console/{CALLBACK_PAGE}"
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256"
    # The challenge is SHA-256 of the verifier the page kept for the callback, base64url-encoded.
    page.goto(f"{cognito_console}/console/{CALLBACK_PAGE}?error=access_denied")
    stored = page.evaluate("() => ({...sessionStorage})")
    assert query["code_challenge"] == s256_challenge(stored["catalog.pkce.verifier"])
    assert query["state"] == stored["catalog.pkce.state"]
    assert len(stored["catalog.pkce.verifier"]) >= 43  # RFC 7636: 43-128 characters


def test_the_callback_exchanges_the_code_and_the_console_sends_the_id_token(
    page: Page, cognito_console: str
) -> None:
    token_requests: list[dict[str, list[str]]] = []
    admin_authorizations: list[str | None] = []

    def token_endpoint(route: Route) -> None:
        token_requests.append(parse_qs(route.request.post_data or ""))
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(
                {"id_token": "the-id-token", "access_token": "the-access-token", "expires_in": 3600}
            ),
        )

    def admin_api(route: Route) -> None:
        admin_authorizations.append(route.request.headers.get("authorization"))
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps({"items": [], "next_cursor": None}),
        )

    page.route(f"{HOSTED_UI}/oauth2/token", token_endpoint)
    page.route(f"{HOSTED_UI}/oauth2/authorize**", _landing)
    page.route(f"{HOSTED_UI}/logout**", _landing)
    page.route(f"{ADMIN_API}/**", admin_api)

    # Given the redirect to the hosted UI happened (verifier and state kept in the session)
    page.goto(f"{cognito_console}/console/#/products?status=draft")
    page.wait_for_url(f"{HOSTED_UI}/oauth2/authorize?**")
    state = parse_qs(urlsplit(page.url).query)["state"][0]

    # When the hosted UI redirects back with a code
    page.goto(f"{cognito_console}/console/{CALLBACK_PAGE}?code=the-code&state={state}")

    # Then the code is exchanged with the verifier, and the console returns to where it was
    page.wait_for_url(f"{cognito_console}/console/#/products?status=draft")
    expect(page.get_by_text("No products match these filters.")).to_be_visible()
    (exchange,) = token_requests
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["code"] == ["the-code"]
    assert exchange["client_id"] == ["console-client-id"]
    assert s256_challenge(exchange["code_verifier"][0])
    # The admin API's Cognito authorizer validates the ID token: that is the bearer sent.
    assert admin_authorizations
    assert set(admin_authorizations) == {"Bearer the-id-token"}

    # When the admin signs out, the hosted UI's logout ends the session and comes back
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{HOSTED_UI}/logout?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"client_id": ["console-client-id"], "logout_uri": [f"{cognito_console}/console/"]}


def test_a_callback_with_a_forged_state_is_refused(page: Page, cognito_console: str) -> None:
    page.route(f"{HOSTED_UI}/**", _landing)
    page.goto(f"{cognito_console}/console/")
    page.wait_for_url(f"{HOSTED_UI}/oauth2/authorize?**")
    page.goto(f"{cognito_console}/console/{CALLBACK_PAGE}?code=stolen&state=forged")
    expect(page.get_by_role("alert")).to_contain_text("state mismatch")
