"""Fixing many albums in Chromium, on the demo's catalog: bulk apply takes only the strong matches;
tuned weights: the ranking preview lists exactly what the queue shows after saving.

The fill (and the candidates found ahead) runs in this process; the server runs its own embedded
worker (SQLite without Redis), which runs the bulk apply job the page starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.correction import lookup
from app.correction.tables import FixMatch
from app.demo.command import run_seed_jobs
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.browser.conftest import log_dir, logged_in_page
from tests.jobs.harness import worker_fixture
from tests.live_app import live_app

pytestmark = pytest.mark.browser
worker = worker_fixture("sync", "enrichment", "covers", "fix")


@pytest.fixture(scope="module")
def fix_server(database: str) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        pytest.skip("runs the bulk job in the server's embedded worker: SQLite without Redis only")
    from app.demo.fake_upstream import FakeUpstream

    with (
        FakeUpstream() as fake,
        live_app(log_dir(), DATABASE_URL=database, EMBEDDED_WORKER="1", **fake.env()) as url,
    ):
        yield url


@pytest.fixture
async def fix_page(
    chromium: Any, fix_server: str, admin_user: int, upstream: Any, worker: Any
) -> AsyncIterator[Any]:
    lookup.forget()
    worker.start()
    await run_seed_jobs(out=lambda _line: None)
    await worker.drain()
    worker.stop()  # from here on the server's own worker runs what the pages start
    async with logged_in_page(chromium, fix_server, timeout_ms=20_000) as page:
        yield page


async def _strengths() -> dict[str, str]:
    return {
        str(m["album_id"]): m["strength"] for m in await FixMatch.select(FixMatch.album_id, FixMatch.strength)
    }


async def test_bulk_apply_on_the_demo_fixes_only_the_strong_matches(fix_page: Any) -> None:
    page = fix_page
    strengths = await _strengths()
    strong = {album_id for album_id, s in strengths.items() if s == "strong"}
    assert strong and len(strong) < len(strengths)
    await page.goto("/albums/broken")
    for album_id, strength in strengths.items():
        assert await page.get_attribute(f"#album-{album_id} td.match-cell", "data-strength") == strength
    await page.click("button[name='all']")
    await page.wait_for_url("**/bulk/preview")
    previewed = {
        (await row.get_attribute("data-album")) or "" for row in await page.locator("tr.bulk-album").all()
    }
    assert previewed and previewed <= strong
    await page.click("form.bulk-preview button[type='submit']")
    await page.wait_for_url(re.compile(r".*/albums/broken/bulk/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[1]
    await page.locator(".bulk-run[data-status='succeeded']").wait_for()
    counts = page.locator(".bulk-run p.bulk-counts")
    assert await counts.locator("b").first.inner_text() == str(len(previewed))
    assert (await counts.inner_text()).startswith(
        f"{len(previewed)} applied · 0 conflicts skipped · 0 failed"
    )

    job = await Job.select().where(Job.job_id == job_id).first()
    assert job is not None and job["username"] == "admin"
    corrected = await LlamaLog.select(LlamaLog.entity_id, LlamaLog.user_id).where(
        (LlamaLog.root_job_id == job_id)
        & (LlamaLog.category == "CORRECTED")
        & (LlamaLog.entity_type == "ALBUM")
    )
    assert {str(r["entity_id"]) for r in corrected} == previewed
    assert {r["user_id"] for r in corrected} == {job["user_id"]}
    # Nothing else under the run: the "ask" albums are untouched.
    touched = await LlamaLog.select(LlamaLog.album_id).where(LlamaLog.root_job_id == job_id)
    assert {str(r["album_id"]) for r in touched} == previewed


async def test_the_ranking_preview_lists_what_the_queue_shows_after_saving(fix_page: Any) -> None:
    page = fix_page
    await page.goto("/settings/matching")
    await page.fill("#strong_threshold", "70")
    await page.click("button:has-text('Preview the ranking')")
    await page.locator("#ranking .ranking-summary").wait_for()
    listed: dict[str, str] = {}
    for row in await page.locator("tr.ranking-change[data-kind='queue']").all():
        album_id = await row.get_attribute("data-album") or ""
        listed[album_id] = " ".join((await row.locator("td.ranking-after").inner_text()).split())
    assert listed
    before = await _strengths()
    await page.click("#matching-form button[type='submit']")
    await page.locator(".flash.ok").wait_for()
    after = await _strengths()
    assert {a for a in after if after[a] != before[a]} == set(listed)
    await page.goto("/albums/broken")
    for album_id, words in listed.items():
        shown = " ".join((await page.inner_text(f"#album-{album_id} td.match-cell")).split())
        assert shown.startswith(words.split(" musicbrainz:")[0].split(" discogs:")[0]), (shown, words)
