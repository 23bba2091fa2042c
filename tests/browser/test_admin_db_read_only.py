"""piccolo-admin in Chromium: read-only tables offer no Add Row, Save, Create, Delete or bulk edits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import manual_album

pytestmark = pytest.mark.browser


async def rendered_but_hidden(locator: Any) -> bool:
    """In the page (Vue rendered it) yet not shown: hidden by our stylesheet, not merely late."""
    await locator.first.wait_for(state="attached")
    return all([await one.is_hidden() for one in await locator.all()])


async def test_album_table_offers_no_write_controls(admin_page: Any) -> None:
    page = admin_page
    album = await manual_album(title="Look Do Not Touch")
    await page.goto("/admin/db/#/album/")
    row_link = page.locator(f"a[href='#/album/{album.id}/']")
    await row_link.wait_for()
    await page.locator("a.button", has_text="Export CSV").wait_for()  # reading stays: export, sort, filter
    assert await rendered_but_hidden(page.locator("a.button", has_text="Add Row"))
    # No row selection, so no bulk update or delete; no row menu with Edit and Delete.
    assert await rendered_but_hidden(page.locator("table tr input[type=checkbox]:only-child"))
    assert await rendered_but_hidden(page.locator("table td:last-child a.subtle"))

    await row_link.click()
    await page.wait_for_url(f"**/#/album/{album.id}/")
    title = page.locator("form [name=title]").first  # a textarea: titles are text columns
    await title.wait_for()
    assert await title.input_value() == "Look Do Not Touch"  # the row is there to read
    assert await rendered_but_hidden(page.locator("[data-uitest=save_button]"))
    assert await rendered_but_hidden(page.locator("[data-uitest=drop_down_button]"))
    note = await page.locator("form").first.evaluate("f => getComputedStyle(f, '::before').content")
    assert "Read-only" in note

    await page.goto("/admin/db/#/album/add/")
    await page.locator("form").first.wait_for()
    assert await rendered_but_hidden(page.locator("[data-uitest=create_button]"))


async def test_the_admins_own_menus_stay(admin_page: Any) -> None:
    page = admin_page
    await page.goto("/admin/db/#/album/")
    # The listing renders after the frame: wait for its buttons to be shown (wait_for = visible).
    await page.locator("a.button", has_text="Sort").wait_for()
    await page.locator("a.button", has_text="Export CSV").wait_for()
    assert await page.locator("[data-uitest=nav_dropdown_button]").is_visible()
