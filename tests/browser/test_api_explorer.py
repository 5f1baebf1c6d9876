"""``/docs``: Swagger UI from the installed package, on the runtime's own OpenAPI document."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.support import screenshot
from tests.e2e.support import LocalCatalog

pytestmark = pytest.mark.browser
OPERATION_METHODS = ("get", "put", "post", "patch", "delete", "head")


def test_the_explorer_renders_every_operation_offline_and_tries_one_with_the_dev_token(
    page: Page, catalog: LocalCatalog
) -> None:
    requested: list[Request] = []
    page.on("request", lambda request: requested.append(request))

    # When the admin opens /docs, every operation of the document is rendered
    page.goto(f"{catalog.url}/docs")
    paths = catalog.request("GET", "/openapi.json").json()["paths"]
    expected = sum(1 for methods in paths.values() for method in methods if method in OPERATION_METHODS)
    expect(page.locator(".opblock")).to_have_count(expected)
    screenshot(page, "docs", full_page=False)

    # And "Try it out" on the admin listing answers 200: the page is pre-authorized
    operation = page.locator(".opblock-get", has=page.locator('[data-path="/admin/products"]')).first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda response: "/admin/products" in response.url) as caught:
        operation.get_by_role("button", name="Execute").click()
    assert caught.value.status == 200
    assert caught.value.request.headers["authorization"] == f"Bearer {catalog.token}"
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")

    # And nothing was fetched from anywhere but the runtime (the assets come from the package)
    outside = [r.url for r in requested if not r.url.startswith((catalog.url, "data:"))]
    assert requested
    assert outside == [], f"the explorer fetched from elsewhere: {outside}"
