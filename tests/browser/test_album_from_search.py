"""Add an album from a MusicBrainz search in Chromium, by keyboard; its timeline shows the CREATED root.

The live server has every source pointed at the local fake upstream (recorded payloads).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.browser.conftest import log_dir, logged_in_page
from tests.correction import payloads
from tests.live_app import live_app

pytestmark = pytest.mark.browser
KEY = f"musicbrainz:{payloads.KAT_MODA}"


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[Any]:
    from app.demo.fake_upstream import FakeUpstream

    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(scope="module")
def search_server(database: str, fake_upstream: Any) -> Iterator[str]:
    with live_app(log_dir(), DATABASE_URL=database, **fake_upstream.env()) as url:
        yield url


@pytest.fixture
async def search_page(chromium: Any, search_server: str, admin_user: int) -> AsyncIterator[Any]:
    async with logged_in_page(chromium, search_server, timeout_ms=20_000) as page:
        yield page


async def test_an_album_added_from_a_musicbrainz_search_shows_its_created_root_and_children(
    search_page: Any, admin_user: int
) -> None:
    page = search_page
    await page.goto("/albums/new")
    # The search has the focus: type and press Enter, no mouse.
    assert await page.evaluate("document.activeElement.id") == "album-search-q"
    await page.keyboard.type("Jeff Mills - Kat Moda")
    await page.keyboard.press("Enter")
    result = page.locator(f'li.search-result[data-key="{KEY}"]')
    await result.wait_for()
    assert await result.locator(".search-year").inner_text() == "2001"
    assert await result.locator(".search-tracks").inner_text() == "3"
    await result.locator("form.search-add button").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/albums/[0-9a-f]{8}-[0-9a-f-]{27}$"))

    album = await Album.select().where(Album.musicbrainz_id == payloads.KAT_MODA).first()
    assert album is not None and page.url.endswith(f"/albums/{album['id']}")
    root_row = (
        await LlamaLog.select()
        .where((LlamaLog.album_id == album["id"]) & (LlamaLog.operation == "album:created:search"))
        .first()
    )
    assert root_row is not None and root_row["user_id"] == admin_user

    root = page.locator(f"#timeline details.root#root-{root_row['job_id']}")
    await root.wait_for()
    assert "CREATED" in (await root.locator("summary .counts").inner_text()).split()
    await root.locator("summary").click()
    rows = root.locator(".root-body details.tl-row")
    await rows.first.wait_for()
    texts = await rows.all_inner_texts()
    assert any("album:created:search" in t for t in texts)
    assert sum("track:" in t for t in texts) == 3  # the three tracks are child rows of the root
    assert await root.locator(".root-body .tl-children .job-node").count() >= 1
    assert "admin" in await root.inner_text()
