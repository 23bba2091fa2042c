"""Fix a trackless album from a MusicBrainz candidate in the browser, from the fix queue, in under a minute.

The live server here is started with every source pointed at the local fake upstream (recorded
payloads), so the whole flow runs offline: queue → album → candidates → preview → apply.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_dir, logged_in_page
from tests.correction import payloads
from tests.live_app import live_app

pytestmark = pytest.mark.browser
KAT_MODA_SPOTIFY = "album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless"


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[Any]:
    from app.demo.fake_upstream import FakeUpstream

    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(scope="module")
def fix_server(database: str, fake_upstream: Any) -> Iterator[str]:
    """The app under uvicorn with MusicBrainz, the Cover Art Archive and Discogs served by the fake."""
    with live_app(
        log_dir(),
        DATABASE_URL=database,
        **fake_upstream.env(),
    ) as url:
        yield url


@pytest.fixture
async def fix_page(chromium: Any, fix_server: str, admin_user: int) -> AsyncIterator[Any]:
    async with logged_in_page(chromium, fix_server, timeout_ms=15_000) as page:
        yield page


async def test_fix_a_trackless_album_from_musicbrainz_in_under_a_minute(fix_page: Any) -> None:
    page = fix_page
    created = await payloads.spotify_album(KAT_MODA_SPOTIFY)
    row = f"#album-{created.id}"

    started = time.monotonic()
    await page.goto("/albums/broken")
    assert "No tracks" in await page.inner_text(row)
    await page.click(f"{row} >> text=Fix")
    await page.wait_for_url(f"**/albums/{created.id}**")
    album_url = page.url

    # Title and artist are filled in from the album: one click searches both sources.
    await page.click("#fix >> button:has-text('Find candidates')")
    first = page.locator(".fix-candidate").first
    await first.wait_for()
    assert await first.get_attribute("data-key") == f"musicbrainz:{payloads.KAT_MODA}"
    assert await first.locator(".fix-component").count() == 9
    await first.locator("a.fix-preview").click()

    form = page.locator("form.fix-preview-form")
    await form.wait_for()
    added = form.locator("tr.fix-track.fix-added")
    assert await added.count() == 3
    for i in range(3):
        assert await added.nth(i).locator("input[type=checkbox]").is_checked()
    assert await form.locator("#fix-field-musicbrainz_id").is_checked()
    await form.locator("button.fix-apply").click()

    result = page.locator(".fix-result .flash.ok")
    await result.wait_for()
    elapsed = time.monotonic() - started
    assert "3 tracks added" in await result.inner_text()
    assert page.url == album_url  # every step swapped into the page: no reload
    assert elapsed < 60, f"the fix took {elapsed:.1f} s"
    # The head, the tracks and the timeline on the page catch up by themselves.
    await page.locator("header.album-head >> text=Nothing missing").wait_for()
    await page.locator("#tracks >> text=Alarms").wait_for()
    await page.locator("#timeline >> text=album:corrected:musicbrainz").wait_for()

    await page.goto("/albums/broken")
    assert await page.locator(row).count() == 0

    # One click undoes it from the panel's list of corrections; the album is back in the queue.
    await page.goto(album_url)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#fix-history summary")
    await page.click("#fix-history .fix-history-row >> button:has-text('Revert')")
    await page.locator(".fix-reverted .flash.ok").wait_for()
    await page.locator("#tracks >> text=Alarms").wait_for(state="detached")
    await page.goto("/albums/broken")
    assert "No tracks" in await page.inner_text(row)
