"""/albums and /albums/broken: search, filters in the URL, keyset pages, the fix queue, bad input."""

from __future__ import annotations

import re
from typing import Any

from app.catalog.listing import AlbumCursor, list_albums, parse_album_query
from app.catalog.tables import Album
from tests.factories import manual_album, tracklist


def titles(html: str) -> list[str]:
    return re.findall(r'class="album-title" href="/albums/[0-9a-f-]+">([^<]*)</a>', html)


async def test_albums_page_lists_albums_with_artists(client: Any) -> None:
    await manual_album(title="Blue Train", artist="John Coltrane", tracks=tracklist(2))
    await manual_album(title="Kind of Blue", artist="Miles Davis")
    response = client.get("/albums")
    assert response.status_code == 200
    assert titles(response.text) == ["Kind of Blue", "Blue Train"]  # newest first
    assert "John Coltrane" in response.text and "Miles Davis" in response.text
    assert "<html" in response.text and 'id="results"' in response.text


async def test_htmx_search_gets_only_the_results_block(client: Any) -> None:
    await manual_album(title="Blue Train", artist="John Coltrane")
    await manual_album(title="Giant Steps", artist="John Coltrane")
    await manual_album(title="Kind of Blue", artist="Miles Davis")
    response = client.get("/albums?q=blue", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'role="search"' not in response.text
    assert sorted(titles(response.text)) == ["Blue Train", "Kind of Blue"]
    by_artist = client.get("/albums?q=coltrane", headers={"HX-Request": "true", "HX-Target": "results"})
    assert sorted(titles(by_artist.text)) == ["Blue Train", "Giant Steps"]


async def test_search_input_is_active_and_pushes_the_url(client: Any) -> None:
    html = client.get("/albums").text
    search = re.search(r'<input id="q"[^>]*>', html, re.S)
    assert search is not None
    tag = search.group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in tag
    assert 'hx-target="#results"' in tag and 'hx-push-url="true"' in tag


async def test_filters_are_kept_in_the_url_and_applied(client: Any) -> None:
    await manual_album(title="Has Tracks", tracks=tracklist(2))
    await manual_album(title="No Tracks")
    response = client.get("/albums?reason=NO_TRACKS&quality=low")
    assert titles(response.text) == ["No Tracks"]
    assert '<option value="NO_TRACKS" selected>' in response.text
    assert '<option value="LOW" selected>' in response.text
    assert titles(client.get("/albums?source=SPOTIFY").text) == []
    assert "No albums match these filters" in client.get("/albums?source=SPOTIFY").text


async def test_keyset_pages_follow_the_next_link_without_offset(client: Any) -> None:
    for i in range(5):
        await manual_album(title=f"Album {i}")
    seen: list[str] = []
    url = "/albums?sort=title&limit=2"
    while url:
        html = client.get(url).text
        seen += titles(html)
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
        assert "offset" not in url
    assert seen == [f"Album {i}" for i in range(5)]
    assert '<option value="title" selected>' in client.get("/albums?sort=title").text


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
    assert titles(response.text) == ["Needs Work"]
    for code in ("NO_TRACKS", "NO_RELEASE_DATE", "NO_MUSICBRAINZ_ID", "NO_COVER"):
        assert f"<code>{code}</code>" in response.text
    assert f'href="/albums/{broken.id}#fix" aria-label="Fix Needs Work">Fix</a>' in response.text
    block = client.get(
        "/albums/broken?reason=NO_TRACKS", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in block.text and titles(block.text) == ["Needs Work"]


async def test_empty_states_say_what_to_do(client: Any) -> None:
    assert "No albums yet" in client.get("/albums").text
    assert "The fix queue is empty" in client.get("/albums/broken").text


def test_bad_filter_value_is_a_clear_400(client: Any) -> None:
    response = client.get("/albums?quality=SUPERB")
    assert response.status_code == 400
    assert "quality: unknown value &#39;SUPERB&#39;" in response.text
    htmx = client.get("/albums?reason=NOPE", headers={"HX-Request": "true", "HX-Target": "results"})
    assert htmx.status_code == 400 and "reason: unknown value" in htmx.text and "<html" not in htmx.text


def test_bad_cursor_is_a_clear_400(client: Any) -> None:
    response = client.get("/albums?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor: not a cursor from this site" in response.text
    other_sort = AlbumCursor(sort="title", key="A", id=__import__("uuid").uuid4()).encode()
    response = client.get(f"/albums?cursor={other_sort}")
    assert response.status_code == 400 and "another sort order" in response.text


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
