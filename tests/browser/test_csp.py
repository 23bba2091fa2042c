"""The Content-Security-Policy breaks nothing: the main pages, an inline edit (htmx), Esc to cancel
it, the live log and the database admin load in Chromium without one CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.tables import Track
from tests.factories import manual_album, tracklist

pytestmark = pytest.mark.browser

# Runs before any page script and outside the page's CSP: it collects every violation reported.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


async def _violations(page: Any, console: list[str]) -> list[str]:
    return [*await page.evaluate("window.__csp"), *console]


async def test_main_pages_report_no_csp_violation(admin_page: Any) -> None:
    page = admin_page
    album = await manual_album(title="Under Policy", tracks=tracklist(2))
    track = (await Track.select(Track.id).where(Track.album == album.id).first())["id"]
    await page.context.add_init_script(LISTEN)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text or "eval" in m.text else None,
    )
    album_url = f"/albums/{album.id}"
    pages = ["/", "/albums", "/albums/broken", "/albums/new", "/logs", "/jobs", album_url,
             f"{album_url}?edit_track={track}", f"/timeline/album/{album.id}", "/admin/db/"]  # fmt: skip
    for url in pages:
        await page.goto(url)
        await page.wait_for_load_state("networkidle")
        found = await _violations(page, console)
        assert found == [], url + "\n" + "\n".join(found)

    # htmx still works under the policy: open an editor, Esc cancels it, save goes through.
    await page.goto(f"/albums/{album.id}")
    await page.click("#field-title a.editable")
    title = page.locator("#input-title")
    await title.wait_for()
    await title.press("Escape")
    await page.locator("#field-title a.editable").wait_for()
    assert await page.locator("#input-title").count() == 0
    await page.click("#field-title a.editable")
    await page.fill("#input-title", "Still Editable")
    await page.press("#input-title", "Enter")
    await page.locator("#field-title .value", has_text="Still Editable").wait_for()
    assert await _violations(page, console) == []
