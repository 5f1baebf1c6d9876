"""Shared builders of the browser tier: Chromium, the console's pages, products made through the API.

The browser tier drives Debian's Chromium (Playwright's own browser download is not reachable on
these machines) against the real local runtime, the same one ``make run`` starts.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.support import REPO_ROOT, LocalCatalog

# Flags for a headless Chromium in a container: no sandbox (root), no GPU, and nothing that
# reaches the network on its own (updates, sync, safe browsing lists), so every request is ours.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
# How long a step may wait for the runtime (projection lag, image registration, a job).
SLOW_STEP_MS = 20_000


class ChromiumMissing(AssertionError):
    """No Chromium on this machine: the browser tier fails (never skips) and says how to fix it."""


def chromium_path() -> str:
    """The Chromium executable to drive; fails with the install command when there is none."""
    found = shutil.which("chromium") or (str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None)
    if found is None:
        raise ChromiumMissing(
            "No Chromium found for the browser tests (tests/browser). Install Debian's package: "
            "`apt-get install -y chromium` (as root; .ci/run does this when it is missing)."
        )
    return found


def console_url(catalog: LocalCatalog, route: str = "") -> str:
    """The console's URL on the runtime, at a hash route such as ``#/products/new``."""
    return f"{catalog.url}/console/{route}"


def create_product(catalog: LocalCatalog, **overrides: Any) -> dict[str, Any]:
    """A new product made through the admin API, with a SKU no other test uses."""
    body: dict[str, Any] = {
        "sku": f"BRW-{uuid.uuid4().hex[:8].upper()}",
        "name": "Browser test lantern",
        "description": "Made by the browser tests.",
        "category": "outdoors",
        "price": 19.5,
        "inventory": 10,
        "low_stock_threshold": 3,
    }
    body.update(overrides)
    reply = catalog.request("POST", "/admin/products", body, admin=True)
    assert reply.status == 201, reply.body
    created: dict[str, Any] = reply.json()
    return created


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a full-page screenshot of the current page as ``build/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def s256_challenge(verifier: str) -> str:
    """RFC 7636's S256 code challenge, computed independently of the page's WebCrypto."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def focus_outline(page: Page) -> dict[str, str]:
    """The computed outline of the focused element, and which element that is."""
    result: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), id: el.id,
                    text: (el.textContent || '').trim().slice(0, 40),
                    style: style.outlineStyle, width: style.outlineWidth};
        }"""
    )
    return result
