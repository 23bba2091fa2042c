"""A sync started from /jobs in Chromium: the run page shows its progress until it is done.

The server here runs the real jobs runtime (embedded worker) with every source pointed at the local
fake upstream; each Spotify album answer is slowed down so the progress can be watched moving.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_dir, logged_in_page
from tests.live_app import live_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def slow_upstream() -> Iterator[Any]:
    from app.demo.fake_upstream import FakeUpstream, Fault

    with FakeUpstream() as fake:
        fake.script("/v1/albums/", always=Fault(delay=0.25))
        yield fake


@pytest.fixture(scope="module")
def jobs_server(database: str, slow_upstream: Any) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        pytest.skip("runs the jobs in the server's embedded worker: SQLite without Redis only")
    with live_app(
        log_dir(),
        DATABASE_URL=database,
        **slow_upstream.env(),
        EMBEDDED_WORKER="1",  # the suite turns it off; this server runs its jobs
    ) as url:
        yield url


@pytest.fixture
async def jobs_page(chromium: Any, jobs_server: str, admin_user: int) -> AsyncIterator[Any]:
    async with logged_in_page(chromium, jobs_server, timeout_ms=15_000) as page:
        yield page


async def test_a_sync_started_from_jobs_shows_progress_to_done(jobs_page: Any) -> None:
    page = jobs_page
    await page.goto("/jobs")
    assert "No runs yet" in await page.inner_text("#runs")
    await page.click("button:has-text('Run Spotify sync now')")
    await page.wait_for_url("**/jobs/*")
    job_url = page.url
    progress = page.locator("#job-progress")
    await progress.wait_for()
    assert "sync_spotify" in await page.inner_text("h1")

    # Watch the bar move: the numbers seen on the page, without reloading it.
    await page.evaluate("() => (window.__sameDocument = true)")
    seen: set[str] = set()
    for _ in range(600):
        text = await progress.locator(".job-main .progress-cell .muted").inner_text()
        seen.add(text)
        if await progress.locator(".job-status .pill.succeeded").count():
            break
        await page.wait_for_timeout(50)
    assert await progress.locator(".job-status .pill.succeeded").count() == 1
    assert await page.evaluate("() => window.__sameDocument") is True and page.url == job_url
    partial = [t for t in seen if " / " in t and t.split(" / ")[0] != t.split(" / ")[1]]
    assert partial, f"no progress between start and done was shown: {seen}"
    done, total = (
        int(n) for n in (await progress.locator(".job-main .progress-cell .muted").inner_text()).split(" / ")
    )
    assert done == total > 0
    assert await progress.get_attribute("hx-trigger") is None  # polling stopped
    assert "albums created" in await progress.locator(".job-main").inner_text()

    # Its rows arrived live too (the page kept only the newest 20).
    await page.locator("table.log-table tr.log-row").nth(19).wait_for()
    assert await page.locator("table.log-table tr.log-row").count() == 20
    assert await page.evaluate("() => window.__sameDocument") is True
    await page.locator("#timeline details.root").first.wait_for()

    # The run is listed on /jobs with its counts, and its rows are in the log.
    await page.goto("/jobs")
    run = page.locator(f"#job-{job_url.rsplit('/', 1)[1]}")
    assert "sync_spotify" in await run.inner_text() and "succeeded" in await run.inner_text()
    assert f"{total} / {total}" in await run.inner_text()
