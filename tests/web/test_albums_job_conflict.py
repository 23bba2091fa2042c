"""An admin's editor opened before a job changed the album: the save is refused and both values shown."""

from __future__ import annotations

from typing import Any

from app.catalog.covers import cache_cover
from app.catalog.enrich import enrich_album
from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.html_query import html
from tests.web.test_albums_page import save

KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"


async def test_a_form_opened_before_enrichment_changed_the_album_shows_the_conflict(
    client: Any, upstream: Any
) -> None:
    album = await manual_album(
        title="Kat Moda", artist="Jeff Mills", musicbrainz_id=KAT_MODA, release_date="1929"
    )
    editor = html(client.get(f"/albums/{album.id}?edit=release_date"))
    assert editor.one('#field-release_date input[name="version"]')["value"] == "1"
    await enrich_album(album.id)  # "enrich now" ran while the editor was open: 1929 → 2001

    response = save(client, album.id, "release_date", "1933", 1)
    assert response.status_code == 409
    conflict = html(response).one("#field-release_date .conflict")
    assert conflict.text_of("strong") == "Someone changed this album while you were editing"
    assert conflict.text_of("dd.yours") == "1933" and conflict.text_of("dd.current") == "2001"
    row = await Album.select().where(Album.id == album.id).first()
    assert (row["release_date"], row["version"], row["locked_fields"]) == ("2001", 2, [])
    assert await LlamaLog.count().where(LlamaLog.category == "CORRECTED") == 0


async def test_a_cover_an_admin_set_and_locked_stays_when_the_cover_job_runs(
    client: Any, upstream: Any
) -> None:
    album = await manual_album(title="Kat Moda", artist="Jeff Mills", musicbrainz_id=KAT_MODA)
    mine = "https://covers.example.org/mine.png"
    assert save(client, album.id, "cover_art_url", mine, 1, follow_redirects=False).status_code == 303
    assert await cache_cover(album.id) == "SKIPPED"
    row = await Album.select().where(Album.id == album.id).first()
    assert (row["cover_art_url"], row["version"]) == (mine, 2)
    page = html(client.get(f"/albums/{album.id}"))
    assert page.text("#field-cover_art_url .value") == mine
    assert page.one("#field-cover_art_url form button")["aria-label"] == "Unlock Cover art URL"
    cached = await LlamaLog.select().where(LlamaLog.category == "CACHED").first()
    assert cached["status"] == "SKIPPED" and cached["reason"] == "cover_art_url is locked by an admin"
