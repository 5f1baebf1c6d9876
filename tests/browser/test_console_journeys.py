"""The admin's main journeys in the console, in headless Chromium, against the real local runtime."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import FileChooser, FilePayload, Page, Request, Route, expect

from tests.browser.support import SLOW_STEP_MS, console_url, create_product, focus_outline, screenshot
from tests.e2e.support import LocalCatalog, eventually
from tests.images import _png

pytestmark = pytest.mark.browser


def test_browse_filter_open_a_product_and_see_its_history(page: Page, catalog: LocalCatalog) -> None:
    # Given the seeded demo catalog, when the admin opens the console
    page.goto(console_url(catalog))
    rows = page.locator("table.products tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 8
    screenshot(page, "products")

    # When they filter on low stock
    page.get_by_label("Stock").select_option("low_stock")
    page.get_by_role("button", name="Apply filters").click()

    # Then only low-stock products are listed, with their badges, and the filter is in the URL
    expect(page).to_have_url(re.compile(r"stock=low_stock"))
    expect(page.get_by_role("link", name="Chef's knife 20 cm")).to_be_visible()
    badges = page.locator("table.products .badge")
    for index in range(badges.count()):
        expect(badges.nth(index)).to_have_text(re.compile(r"^Low stock"))

    # When they open the product, its page shows the details and the history from the event log
    page.get_by_role("link", name="Chef's knife 20 cm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chef's knife 20 cm")
    history = page.locator("ol.history")
    expect(history.locator("li", has_text="Created")).to_be_visible()
    expect(history.locator("li", has_text="Stock changed")).to_be_visible()
    screenshot(page, "product")


def test_create_shows_a_field_error_beside_the_field_then_succeeds(page: Page, catalog: LocalCatalog) -> None:
    # Given the new-product form filled with a category that is not a slug
    page.goto(console_url(catalog, "#/products/new"))
    page.get_by_label("SKU").fill("BRW-CREATE-1")
    page.get_by_label("Name").fill("Folding chair")
    page.get_by_label("Category").fill("Camp Furniture")
    page.get_by_label("Price").fill("39.90")
    page.get_by_role("button", name="Create product").click()

    # Then the API's problem details are shown beside that field, and it is marked invalid
    error = page.locator("#field-category-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("pattern")
    expect(page.get_by_label("Category")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-name-error")).to_be_hidden()
    screenshot(page, "create-with-error")

    # When the admin fixes it, the product is created and its page opens
    page.get_by_label("Category").fill("camp-furniture")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Folding chair")
    expect(page.locator(".details")).to_contain_text("BRW-CREATE-1")


def test_an_edit_conflict_is_explained_and_a_reload_shows_the_current_version(
    page: Page, catalog: LocalCatalog
) -> None:
    # Given a product open in the console at version 1
    product = create_product(catalog, name="Conflict kettle")
    page.goto(console_url(catalog, f"#/products/{product['id']}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Conflict kettle")
    page.get_by_label("Name").fill("Kettle renamed in the console")

    # When someone else changes it behind the page's back, then the admin saves
    reply = catalog.request("PATCH", f"/admin/products/{product['id']}", {"name": "Kettle v2"}, admin=True)
    assert reply.status == 200
    page.get_by_role("button", name="Save changes").click()

    # Then the 412 is explained and nothing was overwritten
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this product")
    assert (
        catalog.request("GET", f"/admin/products/{product['id']}", admin=True).json()["name"] == "Kettle v2"
    )
    screenshot(page, "edit-conflict")

    # When they reload, the current version is shown, and saving from it succeeds
    page.get_by_role("button", name="Reload the product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kettle v2")
    expect(page.locator(".details")).to_contain_text("2")
    page.get_by_label("Name").fill("Kettle v3")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kettle v3")
    expect(page.get_by_role("status").first).to_contain_text("Saved: version 3")


def test_stock_is_adjusted_with_a_reason_that_reaches_the_history(page: Page, catalog: LocalCatalog) -> None:
    # Given a product with 10 in stock and a threshold of 3
    product = create_product(catalog, inventory=10)
    page.goto(console_url(catalog, f"#/products/{product['id']}"))

    # When the admin takes 8 out because they were damaged
    page.get_by_label("Change by (negative to take out)").fill("-8")
    page.get_by_label("Reason").fill("damaged in transit")
    page.get_by_role("button", name="Adjust stock").click()

    # Then the page shows the new level and the low-stock badge at once
    expect(page.get_by_text("Stock adjusted by -8 (damaged in transit): now 2.")).to_be_visible()
    expect(page.locator(".details .badge")).to_have_text("Low stock (2)")
    assert catalog.request("GET", f"/admin/products/{product['id']}", admin=True).json()["inventory"] == 2

    # And, once the event is logged (the projection lag), the history shows it with the reason
    def logged() -> bool | None:
        events = catalog.request("GET", f"/admin/products/{product['id']}/events", admin=True).json()
        return any(event["data"].get("reason") == "damaged in transit" for event in events["items"]) or None

    eventually(logged, timeout=SLOW_STEP_MS / 1000, what="the stock change in the event log")
    page.reload()
    change = page.locator("ol.history li", has_text="Stock changed")
    expect(change.filter(has_text="10 → 2 — damaged in transit")).to_be_visible()


def test_an_image_is_dropped_checked_previewed_uploaded_and_shown(page: Page, catalog: LocalCatalog) -> None:
    # Given a product without images
    product = create_product(catalog, name="Photo lantern")
    page.goto(console_url(catalog, f"#/products/{product['id']}"))
    expect(page.locator(".product-head .thumb-empty")).to_be_visible()
    upload_calls: list[str] = []
    page.on("request", lambda request: upload_calls.append(request.url) if "/images" in request.url else None)

    def drop(name: str, content_type: str, size: int | None = None, data: bytes = b"") -> None:
        transfer = page.evaluate_handle(
            """([name, type, size, bytes]) => {
                const body = size === null ? new Uint8Array(bytes) : new Uint8Array(size);
                const transfer = new DataTransfer();
                transfer.items.add(new File([body], name, {type}));
                return transfer;
            }""",
            [name, content_type, size, list(data)],
        )
        page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})

    # When a wrong type and then a too-large PNG are dropped, both are refused before any request
    drop("notes.txt", "text/plain", data=b"not an image")
    expect(page.get_by_role("alert")).to_contain_text("notes.txt is not a JPEG, PNG or WebP image")
    drop("huge.png", "image/png", size=5 * 1024 * 1024 + 1)
    expect(page.get_by_role("alert")).to_contain_text("huge.png is larger than 5 MiB")
    assert upload_calls == []

    # When a real PNG is dropped, it is previewed, uploaded and registered
    drop("lantern.png", "image/png", data=_png(32, 24))
    expect(page.locator(".preview img")).to_have_attribute("src", re.compile(r"^blob:"))
    # Then the product page shows the registered image as its thumbnail
    thumb = page.locator(".product-head img.thumb")
    expect(thumb).to_be_visible(timeout=SLOW_STEP_MS)
    expect(page.get_by_text("Image lantern.png added.")).to_be_visible()
    # The thumbnail is the uploaded PNG itself (32 px wide), read back through its presigned URL
    page.wait_for_function(
        "() => { const img = document.querySelector('.product-head img.thumb');"
        " return img && img.complete && img.naturalWidth === 32; }"
    )
    assert len(catalog.request("GET", f"/admin/products/{product['id']}", admin=True).json()["images"]) == 1
    screenshot(page, "product-with-image")


def test_an_import_shows_progress_counts_and_the_row_error(
    page: Page, catalog: LocalCatalog, tmp_path: Path
) -> None:
    # Given a CSV with two good rows and one whose price is not a number (line 3)
    catalog_file = tmp_path / "catalog.csv"
    catalog_file.write_text(
        "sku,name,category,price,inventory\n"
        "IMP-BRW-1,Imported tarp,outdoors,15.00,4\n"
        "IMP-BRW-2,Imported pegs,outdoors,not-a-price,9\n"
        "IMP-BRW-3,Imported rope,outdoors,7.25,30\n",
        encoding="utf-8",
    )
    page.goto(console_url(catalog, "#/imports"))

    # When the admin imports it
    page.get_by_label("Catalog file").set_input_files(str(catalog_file))
    page.get_by_role("button", name="Start import").click()

    # Then progress is shown, then the counts, then the failed row with its line and field
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Import finished: 2 created"))).to_be_visible(timeout=SLOW_STEP_MS)
    expect(page.locator('[data-count="failed"]')).to_have_text("1")
    expect(page.locator('[data-count="total"]')).to_have_text("3")
    error_row = page.locator("table.row-errors tbody tr")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("3")
    expect(error_row).to_contain_text("IMP-BRW-2")
    expect(error_row).to_contain_text("price")
    screenshot(page, "import")


def test_an_export_is_started_and_downloaded(page: Page, catalog: LocalCatalog) -> None:
    # Given the export page, when the admin exports the catalog as CSV
    page.goto(console_url(catalog, "#/exports"))
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Start export").click()

    # Then a download link appears, and it downloads the catalog in the import format
    link = page.get_by_role("link", name=re.compile(r"^Download \d+ products \(CSV\)"))
    expect(link).to_be_visible(timeout=SLOW_STEP_MS)
    screenshot(page, "export")
    with page.expect_download() as download_info:
        link.click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    header, *rows = content.strip().splitlines()
    assert "sku" in header.split(",")
    assert any(row.startswith("MUG-001,") or ",MUG-001," in row for row in rows)


def test_a_product_is_created_with_the_keyboard_alone_and_focus_is_always_visible(
    page: Page, catalog: LocalCatalog
) -> None:
    # Listening from the start makes Chromium hand file dialogs to the test, never to a window.
    choosers: list[FileChooser] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.goto(console_url(catalog))
    expect(page.locator("table.products")).to_be_visible()

    def tab_to(predicate: str, limit: int = 12) -> dict[str, str]:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = focus_outline(page)
            # Visible focus: every stop has a solid outline of a real width.
            assert focused["style"] == "solid", focused
            assert focused["width"] == "3px", focused
            if predicate in (focused["id"], focused["text"]):
                return focused
        raise AssertionError(f"Tab never reached {predicate!r}")

    # The first stop is the skip link, then the navigation
    tab_to("Skip to content", limit=1)
    tab_to("New product")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New product")
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    for field_id, text in (
        ("field-sku", "BRW-KEYS-1"),
        ("field-name", "Keyboard lamp"),
        ("field-description", "Typed without a mouse."),
        ("field-category", "lighting"),
        ("field-price", "12.00"),
    ):
        tab_to(field_id, limit=1)
        page.keyboard.type(text)
    tab_to("Create product")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard lamp")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    screenshot(page, "keyboard-created")

    # The image drop zone opens the file chooser from the keyboard too
    tab_to("drop-zone", limit=20)
    page.keyboard.press("Enter")
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "Enter on the drop zone opened no file chooser"
    lamp: FilePayload = {"name": "lamp.png", "mimeType": "image/png", "buffer": _png(8, 8)}
    choosers[0].set_files(files=[lamp])
    expect(page.get_by_text("Image lamp.png added.")).to_be_visible(timeout=SLOW_STEP_MS)


def test_empty_loading_and_error_states_are_readable(page: Page, catalog: LocalCatalog) -> None:
    # Loading: while the listing is on its way, a status line says so
    held: list[Route] = []
    page.route(re.compile(r"/admin/products(\?|$)"), lambda route: held.append(route))
    page.goto(console_url(catalog, "#/products?category=kitchen"))
    expect(page.get_by_role("status")).to_have_text("Loading products…")
    held[0].continue_()
    page.unroute(re.compile(r"/admin/products(\?|$)"))
    expect(page.locator("table.products tbody tr").first).to_be_visible()

    # No results: a readable empty state with a way out
    page.goto(console_url(catalog, "#/products?sku_prefix=NO-SUCH-SKU"))
    expect(page.get_by_text("No products match these filters.")).to_be_visible()
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()

    # The admin API failing: the problem's detail, and a retry that recovers
    def failing(route: Route) -> None:
        route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"type": "about:blank", "title": "Service Unavailable", "status": 503, '
            '"detail": "the catalog is restarting"}',
        )

    page.route(re.compile(r"/admin/products(\?|$)"), failing)
    page.goto(console_url(catalog, "#/products?status=active"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The products could not be loaded: the catalog is restarting")
    screenshot(page, "error-state")
    page.unroute(re.compile(r"/admin/products(\?|$)"))
    alert.get_by_role("button", name="Try again").click()
    expect(page.locator("table.products tbody tr").first).to_be_visible()

    # Unreachable API: a network error, said in words
    page.route(re.compile(r"/admin/products(\?|$)"), lambda route: route.abort())
    page.goto(console_url(catalog, "#/products?status=draft"))
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    page.unroute(re.compile(r"/admin/products(\?|$)"))

    # An unknown product
    page.goto(console_url(catalog, "#/products/01NOSUCHPRODUCT000000000000"))
    expect(page.get_by_role("alert")).to_contain_text("This product does not exist")


def test_the_console_sends_only_same_origin_and_storage_requests(page: Page, catalog: LocalCatalog) -> None:
    requested: list[Request] = []
    page.on("request", lambda request: requested.append(request))
    page.goto(console_url(catalog))
    expect(page.locator("table.products")).to_be_visible()
    allowed = (catalog.url, catalog.aws_endpoint, "data:")
    assert requested
    assert all(request.url.startswith(allowed) for request in requested), [r.url for r in requested]
