"""Errors on HTML routes are a styled page with the nav; /api errors stay JSON."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

import pytest

from app.catalog.tables import Album
from tests.conftest import csrf
from tests.factories import manual_album


class PageOutline(HTMLParser):
    """What a person sees on an error page: the nav's links, the stylesheet, the heading."""

    def __init__(self) -> None:
        super().__init__()
        self.nav_links: list[str] = []
        self.stylesheets: list[str] = []
        self.h1 = ""
        self._in_nav = False
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "nav" and attr.get("aria-label") == "Main":
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self.nav_links.append(attr.get("href") or "")
        elif tag == "link" and attr.get("rel") == "stylesheet":
            self.stylesheets.append(attr.get("href") or "")
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data.strip()


def outline(html: str) -> PageOutline:
    parsed = PageOutline()
    parsed.feed(html)
    return parsed


NAV = ["/", "/albums", "/albums/broken", "/logs", "/jobs", "/admin/db/"]


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/nope", "Not found"),
        ("/albums/not-a-uuid", "Not found"),
        (f"/albums/{uuid.uuid4()}", "Not found"),
        (f"/jobs/{uuid.uuid4()}", "Not found"),
        ("/logs/extra/segments", "Not found"),
        ("/logs?status=NOPE", "That request could not be used"),
    ],
)
def test_html_errors_are_a_styled_page_with_the_nav(client: Any, path: str, heading: str) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("text/html")
    page = outline(response.text)
    assert page.nav_links == NAV
    assert "/static/app.css" in page.stylesheets
    assert page.h1 == heading


def test_unknown_path_names_the_path(client: Any) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert "There is no page at /nope." in response.text


def test_wrong_method_is_a_styled_405(client: Any) -> None:
    response = client.post("/logs", data={}, headers=csrf(client))
    assert response.status_code == 405
    page = outline(response.text)
    assert page.nav_links == NAV and page.h1 == "Not here"
    assert "/logs does not answer a POST request." in response.text


async def test_oversized_form_is_a_styled_413(client: Any) -> None:
    album = await manual_album(title="Heavy")
    body = {"title": "x" * (2 * 1024 * 1024)}
    response = client.post(f"/albums/{album.id}/fields", data=body, headers=csrf(client))
    assert response.status_code == 413
    assert outline(response.text).h1 == "Too big"
    assert (await Album.select(Album.title).where(Album.id == album.id).first())["title"] == "Heavy"


@pytest.mark.parametrize("path", ["/api/nope", f"/api/albums/{uuid.uuid4()}", "/api/logs?status=NOPE"])
def test_api_errors_stay_json(client: Any, path: str) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == response.status_code and body["detail"]


def test_anonymous_unknown_path_still_goes_to_login(anon_client: Any) -> None:
    response = anon_client.get("/nope", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fnope"
