"""/albums/new searches MusicBrainz, Spotify and Discogs (the local fakes) and saves a result once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.correction import lookup
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.correction import payloads
from tests.html_query import Page, html

KAT_MODA_KEY = f"musicbrainz:{payloads.KAT_MODA}"


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


async def _kat_moda() -> dict[str, Any]:
    album = await Album.select().where(Album.musicbrainz_id == payloads.KAT_MODA).first()
    assert album is not None
    return album


async def _child_jobs(job_id: str, at_least: int) -> list[dict[str, Any]]:
    """The job's children: the middleware writes a child's queued row in the background, so wait a bit."""
    for _ in range(100):
        rows = await Job.select().where(Job.parent_job_id == job_id)
        if len(rows) >= at_least:
            return rows
        await asyncio.sleep(0.05)
    return rows


def _results(page: Page) -> dict[str, Any]:
    return {li["data-key"]: li for li in page.all("li.search-result")}


def _add(client: Any, key: str, q: str = "Kat Moda") -> Any:
    return client.post(
        "/albums/new/add", data={"key": key, "q": q}, headers=csrf(client), follow_redirects=False
    )


def test_the_page_focuses_the_search_and_keeps_the_hand_form(client: Any) -> None:
    page = html(client.get("/albums/new"))
    search = page.one('main form[role="search"]')
    assert search.one('input[name="q"]')["id"] == "album-search-q"
    assert search.one("#album-search-q").has("autofocus")
    assert page.one('label[for="album-search-q"]').text
    assert (
        page.one('main form[action="/albums/new"][method="post"] input[name="title"]').has("autofocus")
        is False
    )


async def test_a_search_shows_results_from_every_fake_source(upstream: Any, client: Any) -> None:
    response = client.get("/albums/new", params={"q": "Jeff Mills - Kat Moda"})
    assert response.status_code == 200, response.text
    page = html(response)
    results = _results(page)
    assert KAT_MODA_KEY in results
    sources = {li["data-source"] for li in results.values()}
    assert {"MUSICBRAINZ", "SPOTIFY"} <= sources, sources
    kat = results[KAT_MODA_KEY]
    assert kat.text_of(".search-title") == "Kat Moda"
    assert kat.text_of(".search-year") == "2001"
    assert kat.text_of(".search-tracks") == "3"
    assert kat.text_of(".search-label") != ""
    assert kat.one("img.search-cover")["src"].startswith("http")
    assert kat.one('form.search-add input[name="key"]')["value"] == KAT_MODA_KEY
    assert kat.one("form.search-add button")["type"] == "submit"
    assert upstream.requests("spotify"), "Spotify was searched"
    block = html(
        client.get(
            "/albums/new",
            params={"q": "Kat Moda"},
            headers={"HX-Request": "true", "HX-Target": "search-results"},
        )
    )
    assert block.count("header.top") == 0 and block.count("li.search-result") >= 1


async def test_a_search_shows_discogs_results_with_label_and_tracks(upstream: Any, client: Any) -> None:
    page = html(client.get("/albums/new", params={"q": "Rick Astley - Never Gonna Give You Up"}))
    discogs = _results(page)["discogs:1503102"]
    assert discogs["data-source"] == "DISCOGS"
    assert discogs.text_of(".search-year") == "1987" and discogs.text_of(".search-label") == "RCA Victor"
    assert discogs.text_of(".search-tracks") == "3"
    assert "spotify:HkyL7kKH1FA0ifZpvdgBPI" in _results(page)


async def test_saving_a_result_creates_album_artists_and_tracks_under_one_root(
    upstream: Any, client: Any, admin_user: int
) -> None:
    response = _add(client, KAT_MODA_KEY)
    assert response.status_code == 303, response.text
    album = await _kat_moda()
    assert response.headers["location"] == f"/albums/{album['id']}"
    assert album["source"] == "MUSICBRAINZ" and album["title"] == "Kat Moda"
    assert await Track.count().where(Track.album == album["id"]) == 3
    assert await AlbumArtist.count().where(AlbumArtist.album == album["id"]) >= 1
    rows = await LlamaLog.select().where(LlamaLog.album_id == album["id"]).order_by(LlamaLog.id)
    root = rows[0]
    assert (root["category"], root["operation"], root["entity_type"]) == (
        "CREATED",
        "album:created:search",
        "ALBUM",
    )
    assert root["user_id"] == admin_user and root["username"] == "admin"
    children = [r for r in rows[1:] if r["parent_job_id"] == root["job_id"]]
    assert len(children) == len(rows) - 1 and root["is_root_job"] is True
    assert {r["entity_type"] for r in children} >= {"ARTIST", "TRACK"}
    assert all(r["user_id"] == admin_user for r in children)
    queued = await _child_jobs(root["job_id"], 2)
    assert {j["actor"] for j in queued} >= {"enrich_album", "cache_cover"}
    assert all(j["user_id"] == admin_user for j in queued)


async def test_an_artist_already_in_the_catalog_is_linked_not_created(upstream: Any, client: Any) -> None:
    assert _add(client, KAT_MODA_KEY).status_code == 303
    artists = await Artist.count()
    album = await _kat_moda()
    await Album.delete().where(Album.id == album["id"])
    lookup.forget()
    assert _add(client, KAT_MODA_KEY).status_code == 303
    assert await Artist.count() == artists
    again = await _kat_moda()
    linked = await LlamaLog.select().where(
        (LlamaLog.album_id == again["id"]) & (LlamaLog.entity_type == "ARTIST")
    )
    assert linked and {r["category"] for r in linked} == {"LINKED"}


async def test_a_second_save_offers_the_album_and_creates_nothing(upstream: Any, client: Any) -> None:
    assert _add(client, KAT_MODA_KEY).status_code == 303
    counts = (await Album.count(), await Track.count(), await Artist.count(), await LlamaLog.count())
    album = await _kat_moda()
    response = _add(client, KAT_MODA_KEY)
    assert response.status_code == 409
    page = html(response)
    assert page.one("#search-existing a")["href"] == f"/albums/{album['id']}"
    assert (await Album.count(), await Track.count(), await Artist.count(), await LlamaLog.count()) == counts
    search = _results(html(client.get("/albums/new", params={"q": "Jeff Mills - Kat Moda"})))
    assert search[KAT_MODA_KEY].one("a.search-open")["href"] == f"/albums/{album['id']}"
    assert search[KAT_MODA_KEY].count("form.search-add") == 0


async def test_a_double_submit_checks_inside_the_transaction(upstream: Any, client: Any) -> None:
    from app.catalog.add_release import add_release
    from app.correction.release_search import release_in_full

    source, album = await release_in_full(KAT_MODA_KEY)
    first, second = await asyncio.gather(add_release(album, source=source), add_release(album, source=source))
    assert [first.created is None, second.created is None].count(True) == 1
    assert first.album_id == second.album_id
    assert await Album.count().where(Album.musicbrainz_id == payloads.KAT_MODA) == 1


@pytest.mark.parametrize(
    ("q", "message"),
    [("", "Type a title"), ("   ", "Type a title"), ("x" * 500, "500 characters long")],
)
def test_a_bad_query_is_a_clear_400(client: Any, q: str, message: str) -> None:
    response = client.get("/albums/new", params={"q": q})
    assert response.status_code == 400
    assert message in html(response).text_of("#search-error")


def test_a_bad_key_is_a_clear_400(client: Any) -> None:
    response = _add(client, "musicbrainz:not-an-id")
    assert response.status_code == 400
    assert "Not a release to add" in html(response).text_of("#search-error")


async def test_an_upstream_error_is_a_message_not_a_500(
    upstream: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.sources import clients

    for name in ("MUSICBRAINZ_URL", "SPOTIFY_API_URL", "DISCOGS_URL"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens: every call fails
    monkeypatch.setenv("HTTP_ATTEMPTS", "1")
    get_settings.cache_clear()
    clients.reset()
    response = client.get("/albums/new", params={"q": "Kat Moda"})
    assert response.status_code == 200  # the page answers; the upstream failure is its message
    error = html(response).text_of("#search-error")
    assert (
        error.startswith("Nothing came back")
        and "MusicBrainz" in error
        and "enter the album by hand" in error
    )
    hx = {"HX-Request": "true", "HX-Target": "search-results"}
    swapped = client.get("/albums/new", params={"q": "Kat Moda"}, headers=hx)
    assert swapped.status_code == 200 and "Nothing came back" in html(swapped).text_of("#search-error")
    saved = _add(client, KAT_MODA_KEY)
    assert saved.status_code == 502
    assert "did not give the release" in html(saved).text_of("#search-error")
    assert await Album.count() == 0


@pytest.mark.parametrize(
    ("key", "column", "source", "tracks"),
    [
        ("spotify:rp939yaauRq24DQAUDWpxT", "spotify_id", "SPOTIFY", 12),
        ("discogs:1503102", "discogs_id", "DISCOGS", 3),
    ],
)
async def test_saving_from_spotify_and_discogs(
    upstream: Any, client: Any, key: str, column: str, source: str, tracks: int
) -> None:
    response = _add(client, key)
    assert response.status_code == 303, response.text
    album = await Album.select().where(getattr(Album, column) == key.split(":")[1]).first()
    assert album is not None and album["source"] == source
    assert await Track.count().where(Track.album == album["id"]) == tracks
    assert _add(client, key).status_code == 409


async def test_a_musicbrainz_timeout_is_a_note_and_the_other_sources_still_answer(
    upstream: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.demo.fake_upstream import Fault
    from app.sources import clients

    # The timeout is every source's: long enough that Spotify's token and search answer in time on a
    # busy machine (at 0.3 s they did not, under two test suites at once), MusicBrainz well past it.
    monkeypatch.setenv("HTTP_TIMEOUT", "2")
    monkeypatch.setenv("HTTP_ATTEMPTS", "1")
    get_settings.cache_clear()
    clients.reset()
    upstream.script("/ws/2/", always=Fault(delay=4.0))
    response = client.get("/albums/new", params={"q": "Jeff Mills - Kat Moda"})
    assert response.status_code == 200
    page = html(response)
    assert any(n.startswith("MusicBrainz:") and "TIMEOUT" in n for n in page.texts("p.search-note"))
    assert {li["data-source"] for li in page.all("li.search-result")} == {"SPOTIFY"}
    saved = _add(client, KAT_MODA_KEY)
    assert saved.status_code == 502
    assert "(TIMEOUT)" in html(saved).text_of("#search-error")
    assert await Album.count() == 0


async def test_a_disabled_spotify_is_a_note_and_the_others_answer(
    upstream: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.sources import clients

    monkeypatch.delenv("SPOTIFY_CLIENT_ID")
    get_settings.cache_clear()
    clients.reset()
    page = html(client.get("/albums/new", params={"q": "Jeff Mills - Kat Moda"}))
    assert any(n.startswith("Spotify is disabled") for n in page.texts("p.search-note"))
    assert KAT_MODA_KEY in _results(page)
    assert upstream.requests("spotify") == []
