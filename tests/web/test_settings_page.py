"""/settings lists where each admin setting lives, and the nav leads there from every page."""

from __future__ import annotations

from typing import Any

from app.web.settings import SETTINGS
from tests.html_query import html


async def test_settings_lists_every_settings_page_and_each_answers(client: Any) -> None:
    page = html(client.get("/settings"))
    assert page.text("main h1") == "Settings"
    assert [a["href"] for a in page.all("ul.settings-list a")] == [href for href, _, _ in SETTINGS]
    assert page.one('header.top nav a[href="/settings"]')["aria-current"] == "page"
    for href, _, _ in SETTINGS:
        assert client.get(href).status_code == 200, href
    tokens = html(client.get("/settings/tokens"))
    assert tokens.one('header.top nav a[href="/settings"]')["aria-current"] == "page"
