"""The browser tier's fixtures: one local runtime and one Chromium for the session, a page per test.

Every page fails its test on a JavaScript error or a Content-Security-Policy violation, so the
console is checked against the strict policy the runtime sends on every journey.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.browser.support import CHROMIUM_ARGS, chromium_path

# The end-to-end tier's runtime fixture: this tier gets its own runtime (it writes products).
from tests.e2e.conftest import catalog  # noqa: F401

# Assertions wait up to 10 s (Playwright's default is 5): the suite shares two cores with the
# runtime, and a loaded machine must slow these tests down, not fail them.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; a missing Chromium fails here with the command that installs it."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no storage shared between tests) with one page."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"CSP violation: {message.text}")

    opened.on("console", on_console)
    yield opened
    context.close()
    assert not problems, "\n".join(problems)
