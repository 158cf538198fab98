"""Playwright (Python) driving Debian's Chromium: never a downloaded browser. Tests skip,
saying why, when /usr/bin/chromium, the playwright package or axe-core is missing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.harness import PEER_ADDRESSES, Instance, running_instance

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_available() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run npm ci in tests/browser")


@pytest.fixture
async def chromium(browser_available: None) -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots of the main pages are written to {folder}")
    return folder


@pytest.fixture
def make_instance(
    database_server: str, template_database: str, tmp_path: Path
) -> Callable[..., AbstractAsyncContextManager[Instance]]:
    counter = iter(range(100))

    def start(address: str = PEER_ADDRESSES[0], **overrides: Any) -> AbstractAsyncContextManager[Instance]:
        return running_instance(database_server, template_database, address, tmp_path / str(next(counter)), **overrides)

    return start
