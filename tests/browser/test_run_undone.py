"""Undo a sync run in Chromium: from its "what this run changed" page, one click, one job; the catalog
is as before the run (row counts and a checksum of the catalog tables), the revert on the record."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.llamalog.tables import LlamaLog
from tests.browser.conftest import log_dir, logged_in_page
from tests.correction.test_run_revert import _sync, catalog_state
from tests.factories import manual_album
from tests.jobs.harness import worker_fixture
from tests.live_app import live_app

pytestmark = pytest.mark.browser
worker = worker_fixture("sync", "enrichment", "covers", "fix")


@pytest.fixture(scope="module")
def undo_server(database: str) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        pytest.skip("runs the revert in the server's embedded worker: SQLite without Redis only")
    from app.demo.fake_upstream import FakeUpstream

    with (
        FakeUpstream() as fake,
        live_app(log_dir(), DATABASE_URL=database, EMBEDDED_WORKER="1", **fake.env()) as url,
    ):
        yield url


@pytest.fixture
async def undo_page(chromium: Any, undo_server: str, admin_user: int) -> AsyncIterator[Any]:
    async with logged_in_page(chromium, undo_server, timeout_ms=30_000) as page:
        yield page


async def test_a_sync_run_undone_leaves_the_catalog_as_before(
    undo_page: Any, upstream: Any, worker: Any
) -> None:
    page = undo_page
    await manual_album(title="Here before the run", artist="Somebody")
    before = await catalog_state()
    run_id = await _sync(worker)
    worker.stop()  # the server's worker runs the revert
    assert (await catalog_state())[0]["album"] > before[0]["album"]

    await page.goto(f"/jobs/{run_id}/changes")
    created = await page.locator("tr.run-album[data-created='yes']").count()
    assert created == (await catalog_state())[0]["album"] - before[0]["album"]
    await page.click("button:has-text('Revert this whole run')")
    await page.wait_for_url("**/changes")
    await page.locator("#run-status .revert-summary").wait_for()
    await page.locator("#run-status", has_text="succeeded").wait_for()
    summary = " ".join((await page.inner_text(".revert-summary")).split())
    assert f"{created} albums removed" in summary and "0 conflicts" in summary, summary

    assert await catalog_state() == before
    revert_id = page.url.split("/")[-2]
    rows = await LlamaLog.select(LlamaLog.operation, LlamaLog.username).where(
        LlamaLog.root_job_id == revert_id
    )
    assert sum(r["operation"] == "album:deleted:revert" for r in rows) == created
    assert {r["username"] for r in rows} == {"admin"}
    # The page followed the revert as it ran: what the revert changed is there without a reload.
    counts = " ".join((await page.inner_text(".run-counts")).split())
    assert counts.endswith(f"{len(rows)} log rows"), counts
