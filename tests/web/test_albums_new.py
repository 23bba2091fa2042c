"""/albums/new: a hand-made album is a CREATED root row with the user; bad input saves nothing."""

from __future__ import annotations

from typing import Any

from app.catalog.tables import Album, AlbumArtist, Artist
from app.llamalog.tables import LlamaLog
from tests.conftest import csrf
from tests.factories import manual_album
from tests.html_query import html


def form(client: Any, **values: str) -> dict[str, str]:
    return {"_csrf_token": client.cookies.get("llama_csrf") or "", **values}


def test_new_album_form_has_the_fields(client: Any) -> None:
    page = html(client.get("/albums/new"))
    form = page.one('main form[action="/albums/new"]')
    for name in (
        "title",
        "artist",
        "release_date",
        "release_type",
        "musicbrainz_id",
        "spotify_id",
        "discogs_id",
        "barcode",
    ):
        field = form.one(f'[name="{name}"]')
        assert field["id"] == name and page.one(f'label[for="{name}"]').text  # each field has its label
    assert form.one('input[type="hidden"][name="_csrf_token"]')["value"]
    block = html(client.get("/albums/new", headers={"HX-Request": "true"}))
    assert block.count("header.top") == 0 and block.count('form input[name="title"]') == 1


async def test_adding_an_album_redirects_to_it_and_logs_a_created_root_row(
    client: Any, admin_user: int
) -> None:
    response = client.post(
        "/albums/new",
        data=form(client, title="Hand Made", artist="New Person", release_date="1999-04", release_type="EP"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    album = await Album.select().where(Album.title == "Hand Made").first()
    assert response.headers["location"] == f"/albums/{album['id']}"
    assert album["release_date"] == "1999-04" and album["release_type"] == "ep" and album["source"] == "USER"
    rows = await LlamaLog.select().where(LlamaLog.album_id == album["id"]).order_by(LlamaLog.id)
    root = rows[0]
    assert (root["category"], root["operation"], root["entity_type"]) == (
        "CREATED",
        "album:created:admin",
        "ALBUM",
    )
    assert root["is_root_job"] is True and root["user_id"] == admin_user and root["username"] == "admin"
    artist_row = rows[1]
    assert artist_row["category"] == "CREATED" and artist_row["parent_job_id"] == root["job_id"]
    assert client.get(response.headers["location"]).status_code == 200


async def test_an_existing_artist_is_linked_not_duplicated(client: Any) -> None:
    await manual_album(title="First", artist="Kat Moda")
    client.post("/albums/new", data=form(client, title="Second", artist="kat moda"), follow_redirects=False)
    assert await Artist.count() == 1
    assert await AlbumArtist.count() == 2
    linked = await LlamaLog.select().where(LlamaLog.category == "LINKED").first()
    assert linked is not None and linked["operation"] == "artist:linked:admin"


async def test_bad_input_shows_inline_errors_keeps_values_and_saves_nothing(client: Any) -> None:
    response = client.post(
        "/albums/new",
        data=form(
            client, title="", artist="Someone", release_date="1999-13", musicbrainz_id="nope", barcode="12"
        ),
    )
    assert response.status_code == 422
    page = html(response)
    assert "a title is required" in page.text("#title-error")
    assert "not a calendar date" in page.text("#release_date-error")
    assert page.text("#musicbrainz_id-error") and page.text("#barcode-error")
    assert page.one("#title")["aria-invalid"] == "true"
    typed = {
        name: page.one(f"input#{name}")["value"] for name in ("artist", "release_date", "musicbrainz_id")
    }
    assert typed == {"artist": "Someone", "release_date": "1999-13", "musicbrainz_id": "nope"}
    assert await Album.count() == 0 and await LlamaLog.count() == 0 and await Artist.count() == 0


async def test_a_musicbrainz_id_already_used_is_refused(client: Any) -> None:
    mbid = "5441c29d-3602-4898-b1a1-b77fa23b8e50"
    await manual_album(title="Owner", musicbrainz_id=mbid)
    response = client.post("/albums/new", data=form(client, title="Copy", musicbrainz_id=mbid.upper()))
    assert response.status_code == 422 and "already used by" in html(response).text("#musicbrainz_id-error")
    assert await Album.count() == 1


async def test_post_without_csrf_token_is_refused_and_saves_nothing(client: Any) -> None:
    response = client.post("/albums/new", data={"title": "Sneaky"}, follow_redirects=False)
    assert response.status_code == 403
    assert await Album.count() == 0
    wrong = client.post("/albums/new", data={"title": "Sneaky"}, headers={"x-csrftoken": "forged"})
    assert wrong.status_code == 403
    ok = client.post("/albums/new", data={"title": "Fine"}, headers=csrf(client), follow_redirects=False)
    assert ok.status_code == 303
