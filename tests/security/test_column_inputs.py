"""The inputs that answered 500 on Postgres: each is now a 4xx naming the field, the form comes back
with what was typed, and nothing is saved. Limits are read from the column definitions."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.tables import Album, Artist, Track
from app.column_limits import TEXT_MAX_BYTES, max_length
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album, tracklist
from tests.html_query import html

NUL = "nul\x00inside"


def post(client: Any, url: str, **data: str) -> Any:
    return client.post(url, data={"_csrf_token": client.cookies.get("llama_csrf"), **data})


def over(column: Any) -> str:
    """Just too long for the column: a Varchar's length, or a Text's byte cap, plus one."""
    return "x" * ((max_length(column) or TEXT_MAX_BYTES) + 1)


def too_long(column: Any) -> str:
    """How the refusal of `over(column)` starts."""
    limit = max_length(column)
    return f"at most {limit} characters" if limit else f"at most {TEXT_MAX_BYTES} bytes"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", NUL, "contains a NUL character"),
        ("label", "tab\tinside", "contains a control character (U+0009)"),
        ("release_status", over(Album.release_status), f"at most {Album.release_status.length} characters"),
        ("catalog_number", over(Album.catalog_number), f"at most {Album.catalog_number.length} characters"),
        ("discogs_id", over(Album.discogs_id), f"at most {Album.discogs_id.length} characters"),
        ("cover_art_url", "https://x/" + over(Album.cover_art_url), f"at most {Album.cover_art_url.length}"),
        ("track_count", "9" * 30, "at most 2147483647"),
    ],
)
async def test_an_album_field_that_cannot_fit_its_column_is_a_422_naming_it(
    client: Any, field: str, value: str, message: str
) -> None:
    album = await manual_album(title="Kept")
    response = post(client, f"/albums/{album.id}/fields", field=field, value=value, version="1")
    assert response.status_code == 422
    page = html(response)
    assert message in page.text(f'#error-{field}.field-error[role="alert"]')
    editor = page.one(f"#field-{field}.editing #input-{field}")  # the editor is open again
    assert editor["value"] == value.replace(
        "\x00", "\ufffd"
    )  # with what was typed (a NUL read as a browser does)
    assert editor.get("aria-invalid") == "true"
    assert await Album.select(Album.title, Album.version).first() == {"title": "Kept", "version": 1}


async def test_the_new_album_form_names_every_field_and_keeps_what_was_typed(client: Any) -> None:
    typed = {"title": NUL, "artist": over(Artist.name), "discogs_id": over(Album.discogs_id)}
    response = post(client, "/albums/new", **typed)
    assert response.status_code == 422
    page = html(response)
    assert page.text("#title-error") == "contains a NUL character"
    assert page.text("#artist-error").startswith(too_long(Artist.name))
    assert page.text("#discogs_id-error").startswith(too_long(Album.discogs_id))
    assert page.one('input#discogs_id[name="discogs_id"]')["value"] == typed["discogs_id"]
    assert await Album.count() == 0 and await Artist.count() == 0


async def test_track_titles_and_lengths_that_cannot_be_stored_are_refused(client: Any) -> None:
    album = await manual_album(title="Tracks", tracks=tracklist(1))
    url = f"/albums/{album.id}/tracks"
    titled = post(client, url, title=NUL, track_number="2", disc_number="1")
    assert titled.status_code == 422
    assert html(titled).text("#add-err-title") == "title: contains a NUL character"
    long = post(client, url, title="Long", track_number="2", disc_number="1", duration_ms="9" * 30)
    assert long.status_code == 422
    added = html(long)
    assert added.text("#add-err-duration_ms") == "duration: an album track is at most 10 hours long"
    assert added.one('input#add-title[name="title"]')["value"] == "Long"
    pasted = post(client, f"{url}/paste", tracklist=f"1. {NUL} 3:00")
    assert pasted.status_code == 422
    assert "contains a NUL character" in html(pasted).text('#paste-error[role="alert"]')
    track = (await Track.select(Track.id).where(Track.album == album.id).first())["id"]
    edited = post(client, f"{url}/{track}", title="Fine", track_number="1", disc_number="1",
                  duration_ms="9" * 30, version="1")  # fmt: skip
    assert edited.status_code == 422
    assert html(edited).one(f"tr#track-{track}.editing").texts(".field-error") == [
        "duration: an album track is at most 10 hours long"
    ]
    assert await Track.count() == 1
    assert (await Track.select(Track.title).first())["title"] == "Track 1"


async def test_a_log_id_too_big_for_its_column_is_a_400_on_revert_and_retry(client: Any) -> None:
    album = await manual_album(title="Revert")
    before = await LlamaLog.count()
    response = post(client, f"/albums/{album.id}/fix/revert", log_id="9" * 30)
    assert response.status_code == 400
    assert html(response).text('div.flash.error[role="alert"]').startswith("log_id: not a log row")
    retry = post(client, f"/failures/{'9' * 30}/retry")
    assert retry.status_code == 404
    assert html(retry).text(".error-page p.error") == f"log_id: there is no log row {'9' * 30}"
    assert await LlamaLog.count() == before


def test_a_nul_in_the_jobs_filter_is_a_400_naming_it(client: Any) -> None:
    page = client.get("/jobs", params={"kind": "\x00"})
    assert page.status_code == 400
    assert html(page).text(".error-page p.error") == "kind: contains a NUL character"
    api = client.get("/api/jobs", params={"kind": "\x00"})
    assert api.status_code == 400 and api.json()["detail"] == "kind: contains a NUL character"
    assert client.get("/api/jobs", params={"kind": over(Album.discogs_id) * 2}).status_code == 400


async def test_a_username_with_a_nul_is_a_400_naming_it(anon_client: Any) -> None:
    anon_client.get("/login")
    data = {"username": NUL, "password": "whatever-123", "_csrf_token": anon_client.cookies["llama_csrf"]}
    response = anon_client.post("/login", data=data)
    assert response.status_code == 400
    assert html(response).text('.login p.flash.error[role="alert"]') == "username: contains a NUL character"
