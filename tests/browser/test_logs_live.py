"""The 🦙 LlamaLog table in Chromium: rows from a job appear live, pause holds them, rows open."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.albums import update_album
from tests.factories import job_album, manual_album, tracklist

pytestmark = pytest.mark.browser


async def _visible_ids(page: Any) -> list[str]:
    return await page.eval_on_selector_all("#log-rows tr.log-row", "rows => rows.map(r => r.dataset.id)")


async def test_a_row_written_by_a_job_appears_without_reload(admin_page: Any) -> None:
    page = admin_page
    await manual_album(title="Already There")
    await page.goto("/logs")
    await page.locator("#log-rows tr.log-row").first.wait_for()
    before = await _visible_ids(page)
    marker = await page.evaluate("() => (window.__notReloaded = 'yes')")
    assert marker == "yes"

    await job_album(title="Arrived Live", artist="Live Artist", tracks=tracklist(2))
    arrived = page.locator("#log-rows tr.log-row.fresh", has_text="Arrived Live")
    await arrived.wait_for(timeout=10_000)
    ids = await _visible_ids(page)
    assert len(ids) == len(before) + 4 and ids[4:] == before  # new rows on top, newest first
    assert await page.evaluate("() => window.__notReloaded") == "yes"

    # Paused: new rows wait; resumed: they catch up in order.
    await page.click("#live-toggle")
    assert await page.get_attribute("#live-toggle", "aria-pressed") == "true"
    await job_album(title="Held Back", tracks=tracklist(1))
    await page.locator("#live-state", has_text="3 new rows waiting").wait_for(timeout=10_000)
    assert await page.locator("#log-rows tr.log-row", has_text="Held Back").count() == 0
    await page.click("#live-toggle")
    await page.locator("#log-rows tr.log-row", has_text="Held Back").first.wait_for()
    assert len(await _visible_ids(page)) == len(ids) + 3
    assert "3 caught up" in await page.inner_text("#live-state")


async def test_a_row_opens_to_its_diff_on_click_and_enter(admin_page: Any) -> None:
    page = admin_page
    created = await manual_album(title='"><img src=x onerror=alert(1)>')
    await update_album(
        created.id, {"title": "<script>alert(1)</script>", "release_date": "1999"}, expected_version=1
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    await page.goto("/logs?category=CORRECTED")
    row = page.locator("#log-rows tr.log-row").first
    await row.locator("td.op").click()
    detail = page.locator("#log-rows tr.log-detail")
    await detail.wait_for()
    text = await detail.inner_text()
    assert "<script>alert(1)</script>" in text and '"><img src=x onerror=alert(1)>' in text
    assert await page.locator("#log-rows img[src=x]").count() == 0
    await row.locator("td.op").click()  # click again: closed
    await detail.wait_for(state="detached")
    await row.locator("a.toggle").focus()
    await page.keyboard.press("Enter")
    await detail.wait_for()
    assert dialogs == []
