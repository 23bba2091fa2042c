"""piccolo-admin in Chromium: read-only tables offer no Add Row, Save, Create, Delete or bulk edits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import manual_album

pytestmark = pytest.mark.browser


async def test_album_table_offers_no_write_controls(admin_page: Any) -> None:
    page = admin_page
    album = await manual_album(title="Look Do Not Touch")
    await page.goto("/admin/db/#/album/")
    row_link = page.locator(f"a[href='#/album/{album.id}/']")
    await row_link.wait_for()
    await page.locator("a.button", has_text="Export CSV").wait_for()  # reading stays: export, sort, filter
    assert await page.locator("a.button", has_text="Add Row").is_hidden()
    assert await page.locator("table input[type=checkbox]").count() > 0
    for box in await page.locator("table input[type=checkbox]").all():
        assert await box.is_hidden()  # no selection, so no bulk update or delete
    assert await page.locator("table td:last-child a.subtle").first.is_hidden()

    await row_link.click()
    await page.wait_for_url(f"**/#/album/{album.id}/")
    title = page.locator("form input[type=text]").first
    await title.wait_for()
    assert await title.input_value() == "Look Do Not Touch"  # the row is there to read
    assert await page.locator("[data-uitest=save_button]").is_hidden()
    assert await page.locator("[data-uitest=drop_down_button]").is_hidden()
    note = await page.locator("form").first.evaluate("f => getComputedStyle(f, '::before').content")
    assert "Read-only" in note

    await page.goto("/admin/db/#/album/add/")
    await page.locator("form").first.wait_for()
    assert await page.locator("[data-uitest=create_button]").is_hidden()


async def test_the_admins_own_menus_stay(admin_page: Any) -> None:
    page = admin_page
    await page.goto("/admin/db/#/album/")
    await page.locator("[data-uitest=nav_dropdown_button]").wait_for()
    assert await page.locator("[data-uitest=nav_dropdown_button]").is_visible()
    assert await page.locator("a.button", has_text="Sort").is_visible()
