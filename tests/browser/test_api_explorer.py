"""``/docs``: Swagger UI from the installed package, on the runtime's own OpenAPI document."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.support import screenshot
from tests.e2e.support import LocalCatalog

pytestmark = pytest.mark.browser


def test_the_explorer_renders_every_operation_from_the_runtime_alone(page: Page, catalog: LocalCatalog) -> None:
    requested: list[Request] = []
    page.on("request", lambda request: requested.append(request))
    page.goto(f"{catalog.url}/docs")

    expect(page.locator(".opblock").first).to_be_visible()
    operations = catalog.request("GET", "/openapi.json").json()["paths"]
    expected = sum(
        1
        for methods in operations.values()
        for method in methods
        if method in ("get", "put", "post", "patch", "delete", "head")
    )
    expect(page.locator(".opblock")).to_have_count(expected)
    assert requested
    outside = [r.url for r in requested if not r.url.startswith((catalog.url, "data:"))]
    assert outside == [], f"the explorer fetched from elsewhere: {outside}"
    screenshot(page, "docs")


def test_try_it_out_calls_the_admin_api_with_the_dev_token(page: Page, catalog: LocalCatalog) -> None:
    page.goto(f"{catalog.url}/docs#/admin")
    operation = page.locator(".opblock-get", has=page.locator('[data-path="/admin/products"]')).first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda response: "/admin/products?" in response.url or response.url.endswith("/admin/products")) as caught:
        operation.get_by_role("button", name="Execute").click()
    assert caught.value.status == 200
    expect(operation.locator(".live-responses-table .response-col_status").first).to_have_text("200")
