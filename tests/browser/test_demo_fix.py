"""On the demo's filled catalog: fix the first NO_TRACKS album from a source, see its summary, revert.

The fill runs here (`run_seed_jobs`, what `llama demo` runs before serving) on the in-process worker
against the fake upstream; the app is served by uvicorn against the same database, its sources
pointed at a fake with the same recorded payloads. Expected numbers are read from the database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.catalog.tables import Track
from app.correction import lookup
from app.demo.command import run_seed_jobs
from app.llamalog.tables import LlamaLog
from tests.browser.conftest import log_dir, logged_in_page
from tests.jobs.harness import wait_until, worker_fixture
from tests.live_app import live_app

pytestmark = pytest.mark.browser
worker = worker_fixture("sync", "enrichment", "covers")


@pytest.fixture(scope="module")
def demo_server(database: str) -> Iterator[str]:
    from app.demo.fake_upstream import FakeUpstream

    with FakeUpstream() as fake, live_app(log_dir(), DATABASE_URL=database, **fake.env()) as url:
        yield url


@pytest.fixture
async def demo_page(
    chromium: Any, demo_server: str, admin_user: int, upstream: Any, worker: Any
) -> AsyncIterator[Any]:
    """A logged-in page on a catalog the demo's fill step has just filled."""
    lookup.forget()
    worker.start()
    await run_seed_jobs(out=lambda _line: None)
    async with logged_in_page(chromium, demo_server, timeout_ms=15_000) as page:
        yield page


async def _tracks(album_id: uuid.UUID) -> int:
    return await Track.count().where(Track.album == album_id)


async def test_demo_no_tracks_album_fixed_from_a_source_then_reverted(demo_page: Any) -> None:
    page = demo_page
    await page.goto("/albums/broken")
    reason = page.locator("span.pill.reason code", has_text="NO_TRACKS")
    no_tracks = page.locator("tr[id^='album-']", has=reason)
    row = no_tracks.first
    album_id = uuid.UUID((await row.get_attribute("id")).removeprefix("album-"))
    assert await _tracks(album_id) == 0
    await row.locator("a:text-is('Fix')").click()
    await page.wait_for_url(f"**/albums/{album_id}**")

    # The panel's search is prefilled with the album's title and artist: search as it stands.
    assert await page.locator("#fix-title-input").input_value()
    assert await page.locator("#fix-artist").input_value()
    await page.click("#fix >> button:has-text('Find candidates')")
    top = page.locator(".fix-candidate").first
    await top.wait_for()
    await top.locator("a.fix-preview").click()
    form = page.locator("form.fix-preview-form")
    await form.wait_for()
    await form.locator("button.fix-apply").click()
    applied = page.locator(".fix-result .flash.ok")
    await applied.wait_for()

    added = await _tracks(album_id)
    assert added > 0
    assert f"{added} track{'' if added == 1 else 's'} added" in await applied.inner_text()
    corrected = (
        await LlamaLog.select()
        .where(
            (LlamaLog.category == "CORRECTED")
            & (LlamaLog.entity_type == "ALBUM")
            & (LlamaLog.entity_id == album_id)
        )
        .output(load_json=True)
    )
    assert len(corrected) == 1
    summary = corrected[0]["metadata"]["summary"]["text"]
    assert re.search(rf"\b{added} track", summary), summary

    # Its root row in the album's timeline shows the summary; the whole job is undone from there.
    root = page.locator(f"#timeline details.root#root-{corrected[0]['root_job_id']}")
    await root.wait_for()
    assert " ".join((await root.locator("summary .tl-summary").inner_text()).split()) == summary
    await root.locator("summary").first.click()
    row_in_tree = root.locator("details.tl-row", has_text=corrected[0]["operation"]).first
    await row_in_tree.locator("summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await row_in_tree.locator("button:has-text('Revert its whole job')").click()

    result = page.locator("#tl-result .fix-revert-result")
    await result.wait_for()
    said = await result.inner_text()
    await wait_until(lambda: _tracks_gone(album_id), what="the added tracks to be gone")
    # The live stream redraws the tree with the revert's root; the result stays where it was.
    await page.locator("#timeline details.root", has_text="album:reverted:admin").wait_for()
    assert await result.is_visible() and await result.inner_text() == said
    assert said.startswith("Reverted:")
    await page.goto("/albums/broken")
    assert "NO_TRACKS" in await page.inner_text(f"#album-{album_id}")


async def _tracks_gone(album_id: uuid.UUID) -> bool:
    return await _tracks(album_id) == 0
