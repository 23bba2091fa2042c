"""The timeline in Chromium: roots start collapsed, open on click (lazy), and take new rows live."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.albums import update_album
from app.llamalog.context import job_scope
from app.llamalog.logger import record
from tests.factories import job_album, tracklist

pytestmark = pytest.mark.browser


async def test_album_timeline_expands_a_root_job_and_goes_live(admin_page: Any) -> None:
    page = admin_page
    created, ctx = await job_album(title="Timeline In Browser", artist="Browser Band", tracks=tracklist(3))
    with job_scope(ctx.child()):
        await record(
            entity_type="ALBUM",
            entity_id=created.id,
            operation="album:enriched:musicbrainz",
            sources=["MUSICBRAINZ"],
            changes={"label": {"before": None, "after": "<b>Sub Pop</b>"}},
            entity_label="Timeline In Browser",
        )
    await page.goto(f"/albums/{created.id}")
    root = page.locator(f"#timeline details.root#root-{ctx.job_id}")
    await root.wait_for()
    assert await root.get_attribute("open") is None
    assert (await root.locator("summary .counts").inner_text()).split() == ["CREATED", "4", "ENRICHED", "1"]
    assert await root.locator(".root-body details.tl-row").count() == 0  # not loaded yet

    await root.locator("summary").click()
    rows = root.locator(".root-body details.tl-row")
    await rows.first.wait_for()
    assert await rows.count() == 6  # album, artist, three tracks, the enrichment
    nested = root.locator(".root-body .tl-children .job-node")
    assert await nested.count() >= 5  # artist, tracks and the enrichment job hang under the sync job
    enriched = root.locator("details.tl-row", has_text="album:enriched:musicbrainz")
    await enriched.locator("summary").click()
    assert await enriched.locator("td.after").inner_text() == "<b>Sub Pop</b>"

    # A correction is a new root job: it shows up on its own; the open root stays open.
    await update_album(created.id, {"release_date": "2001"}, expected_version=1)
    fresh = page.locator("#timeline details.root", has_text="album:corrected:admin")
    await fresh.wait_for(timeout=10_000)
    assert await page.locator("#timeline details.root").count() == 2
    await page.locator(f"#root-{ctx.job_id}[open] .root-body details.tl-row").first.wait_for()

    # The category filter narrows the tree.
    await page.locator("#timeline .tl-filter input[value=CORRECTED]").check()
    await page.locator("#timeline details.root").first.wait_for()
    await page.wait_for_function("document.querySelectorAll('#timeline details.root').length === 1")
