"""/albums and /albums/broken: search, filters in the URL, keyset pages, the fix queue, bad input."""

from __future__ import annotations

import uuid
from typing import Any

from app.catalog.listing import AlbumCursor, list_albums, parse_album_query
from app.catalog.tables import Album
from tests.factories import manual_album, tracklist
from tests.html_query import Page, html

HX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}


def titles(page: Page) -> list[str]:
    return page.texts("table.albums tbody a.album-title")


def selected(page: Page, select: str) -> str:
    return page.one(f"{select} option[selected]")["value"]


async def test_albums_page_lists_albums_with_artists(client: Any) -> None:
    await manual_album(title="Blue Train", artist="John Coltrane", tracks=tracklist(2))
    await manual_album(title="Kind of Blue", artist="Miles Davis")
    response = client.get("/albums")
    assert response.status_code == 200
    page = html(response)
    assert titles(page) == ["Kind of Blue", "Blue Train"]  # newest first
    assert page.texts("table.albums tbody tr td:first-child .muted") == ["Miles Davis", "John Coltrane"]
    assert page.count("header.top nav") == 1 and page.count("#results") == 1


async def test_htmx_search_gets_only_the_results_block(client: Any) -> None:
    await manual_album(title="Blue Train", artist="John Coltrane")
    await manual_album(title="Giant Steps", artist="John Coltrane")
    await manual_album(title="Kind of Blue", artist="Miles Davis")
    response = client.get("/albums?q=blue", headers=HX_RESULTS)
    assert response.status_code == 200
    page = html(response)
    assert page.count("header.top") == 0 and page.count('[role="search"]') == 0  # the results only
    assert sorted(titles(page)) == ["Blue Train", "Kind of Blue"]
    by_artist = html(client.get("/albums?q=coltrane", headers=HX_RESULTS))
    assert sorted(titles(by_artist)) == ["Blue Train", "Giant Steps"]


async def test_search_input_is_active_and_pushes_the_url(client: Any) -> None:
    search = html(client.get("/albums")).one("input#q")
    assert search["hx-trigger"] == "input changed delay:300ms, search"
    assert search["hx-target"] == "#results" and search["hx-push-url"] == "true"


async def test_filters_are_kept_in_the_url_and_applied(client: Any) -> None:
    await manual_album(title="Has Tracks", tracks=tracklist(2))
    await manual_album(title="No Tracks")
    page = html(client.get("/albums?reason=NO_TRACKS&quality=low"))
    assert titles(page) == ["No Tracks"]
    assert selected(page, 'select[name="reason"]') == "NO_TRACKS"
    assert selected(page, 'select[name="quality"]') == "LOW"
    none = html(client.get("/albums?source=SPOTIFY"))
    assert titles(none) == [] and none.text("#results .empty p").startswith("No albums match these filters")


async def test_keyset_pages_follow_the_next_link_without_offset(client: Any) -> None:
    for i in range(5):
        await manual_album(title=f"Album {i}")
    seen: list[str] = []
    url = "/albums?sort=title&limit=2"
    while url:
        page = html(client.get(url))
        seen += titles(page)
        found = page.first('a[rel="next"]')
        url = found["href"] if found else ""
        assert "offset" not in url
    assert seen == [f"Album {i}" for i in range(5)]
    assert selected(html(client.get("/albums?sort=title")), "select#f-sort") == "title"


async def test_a_page_of_albums_costs_two_queries(query_counter: dict[str, int]) -> None:
    for i in range(6):
        await manual_album(title=f"Album {i}", artist=f"Artist {i}")
    query_counter["n"] = 0
    page = await list_albums(parse_album_query({"limit": "5"}))
    assert len(page.rows) == 5 and all(row["artists"] for row in page.rows)
    assert query_counter["n"] == 2  # the albums, then all their artists in one query


async def test_broken_queue_shows_reason_pills_and_fix_links(client: Any) -> None:
    broken = await manual_album(title="Needs Work")
    await Album.update(
        {
            Album.release_date: "2001",
            Album.musicbrainz_id: "5441c29d-3602-4898-b1a1-b77fa23b8e50",
            Album.cover_art_url: "https://example.org/c.jpg",
            Album.broken_reasons: "",
        }
    ).where(Album.id != broken.id)
    fine = await manual_album(title="Complete", tracks=tracklist(1))
    await Album.update({Album.broken_reasons: ""}).where(Album.id == fine.id)
    response = client.get("/albums/broken")
    assert response.status_code == 200
    page = html(response)
    assert titles(page) == ["Needs Work"]
    row = page.one(f"#album-{broken.id}")
    codes = row.texts(".pill.reason code")
    for code in ("NO_TRACKS", "NO_RELEASE_DATE", "NO_MUSICBRAINZ_ID", "NO_COVER"):
        assert code in codes
    fix = row.one("a.button")
    assert (fix.text, fix["href"], fix["aria-label"]) == ("Fix", f"/albums/{broken.id}#fix", "Fix Needs Work")
    block = html(client.get("/albums/broken?reason=NO_TRACKS", headers=HX_RESULTS))
    assert block.count("header.top") == 0 and titles(block) == ["Needs Work"]


async def test_empty_states_say_what_to_do(client: Any) -> None:
    assert html(client.get("/albums")).text("#results .empty p").startswith("No albums yet")
    assert html(client.get("/albums/broken")).text("#results .empty p").startswith("The fix queue is empty")


def test_bad_filter_value_is_a_clear_400(client: Any) -> None:
    response = client.get("/albums?quality=SUPERB")
    assert response.status_code == 400
    assert "quality: unknown value 'SUPERB'" in html(response).text("#results p.flash.error")
    htmx = client.get("/albums?reason=NOPE", headers=HX_RESULTS)
    assert htmx.status_code == 400
    page = html(htmx)
    assert "reason: unknown value" in page.text("p.flash.error") and page.count("header.top") == 0


def test_bad_cursor_is_a_clear_400(client: Any) -> None:
    response = client.get("/albums?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor: not a cursor from this site" in html(response).text("#results p.flash.error")
    other_sort = AlbumCursor(sort="title", key="A", id=uuid.uuid4()).encode()
    response = client.get(f"/albums?cursor={other_sort}")
    assert response.status_code == 400 and "another sort order" in html(response).text("p.flash.error")


def test_albums_need_login(anon_client: Any) -> None:
    for url in ("/albums", "/albums/broken", "/albums/new"):
        response = anon_client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_search_wildcards_are_literal(client: Any) -> None:
    await manual_album(title="100% Pure", artist="Somebody")
    await manual_album(title="Other", artist="Someone Else")
    body = client.get("/api/albums", params={"q": "%"}).json()
    assert [a["title"] for a in body["albums"]] == ["100% Pure"]
