"""Browser test fixtures: the real app under uvicorn on a free port, Debian's Chromium, a logged-in page.

The server runs in a subprocess against the test database (DATABASE_URL set by tests/conftest.py), so
every test still starts with empty tables; the scheduler is off so nothing runs unasked.
Browser tests are async functions using Playwright's async API.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.live_app import live_app

CHROMIUM = os.environ.get("LLAMA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def log_dir() -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp"))


@pytest.fixture(scope="session")
def live_server(database: str) -> Iterator[str]:
    """Base URL of the app served by uvicorn on 127.0.0.1 (one server for the session)."""
    with live_app(
        log_dir(), DATABASE_URL=database, LLAMALOG_CONSOLE=os.environ.get("LLAMALOG_CONSOLE", "0")
    ) as url:
        yield url


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright's async API (no `playwright install`).

    Async because the suite's fixtures (clean tables, the admin user) run on pytest-asyncio's loop,
    which the sync API would collide with; one browser per test keeps loops apart.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser-deps)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def fresh_page(chromium: Any, base_url: str, *, timeout_ms: int = 10_000) -> AsyncIterator[Any]:
    """A page with cookies of its own at 1280×900 whose relative URLs go to `base_url`."""
    context = await chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(timeout_ms)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@asynccontextmanager
async def logged_in_page(chromium: Any, base_url: str, *, timeout_ms: int = 15_000) -> AsyncIterator[Any]:
    """A fresh page on `base_url`, logged in as the test admin through the form."""
    async with fresh_page(chromium, base_url, timeout_ms=timeout_ms) as page:
        await log_in_page(page)
        yield page


@pytest.fixture
async def browser_page(chromium: Any, live_server: str) -> AsyncIterator[Any]:
    """A fresh page (own cookies) at 1280×900 whose relative URLs go to the live server."""
    async with fresh_page(chromium, live_server) as page:
        yield page


async def log_in_page(page: Any, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> None:
    """Log in through the real form, like a person would."""
    await page.goto("/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    await page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
async def admin_page(admin_user: int, browser_page: Any) -> Any:
    """A page logged in as the test admin, on the dashboard."""
    await log_in_page(browser_page)
    return browser_page
