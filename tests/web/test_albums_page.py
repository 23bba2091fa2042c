"""/albums/{id}: click-to-edit fields, inline errors, version conflicts, no-op saves, unlock."""

from __future__ import annotations

import uuid
from typing import Any

from app.catalog.albums import update_album
from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album, tracklist
from tests.html_query import html

HX = {"HX-Request": "true"}


def save(client: Any, album_id: Any, field: str, value: str, version: int, **kw: Any) -> Any:
    data = {
        "_csrf_token": client.cookies.get("llama_csrf"),
        "field": field,
        "value": value,
        "version": str(version),
    }
    return client.post(f"/albums/{album_id}/fields", data=data, **kw)


async def corrected_rows(album_id: Any) -> list[dict[str, Any]]:
    return (
        await LlamaLog.select()
        .where((LlamaLog.entity_id == album_id) & (LlamaLog.category == "CORRECTED"))
        .order_by(LlamaLog.id)
    )


async def test_album_page_full_and_blocks(client: Any) -> None:
    album = await manual_album(title="Paged", artist="Someone", tracks=tracklist(2))
    response = client.get(f"/albums/{album.id}")
    assert response.status_code == 200
    page = html(response)
    assert page.one("header.album-head h1 > bdi").text == "Paged"
    assert page.text("header.album-head p.by") == "by Someone"
    assert "Track 2" in page.text("#tracks")
    assert page.count("#field-release_date") == 1
    assert "NO_RELEASE_DATE" in page.texts("header.album-head .pill.reason code")
    assert page.count("section#fix form.fix-search") == 1 and page.count("section#timeline") == 1
    content = html(client.get(f"/albums/{album.id}", headers=HX))
    assert content.count("header.top") == 0 and content.count("body > #album-page") == 1
    fields = html(client.get(f"/albums/{album.id}?edit=title", headers={**HX, "HX-Target": "field-title"}))
    assert fields.count("header.top") == 0 and fields.count("#tracks") == 0
    editor = fields.one('#field-title input[name="value"]')
    assert (editor["type"], editor["value"]) == ("text", "Paged") and editor.has("autofocus")
    # static/app.js sends cancel-edit on Escape (no eval under the CSP)
    assert fields.one("#field-title")["hx-trigger"] == "cancel-edit"
    tracks = html(client.get(f"/albums/{album.id}", headers={**HX, "HX-Target": "track-x"}))
    assert "Track 1" in tracks.text() and tracks.count("#field-title") == 0


def test_unknown_album_is_404(client: Any) -> None:
    response = client.get(f"/albums/{uuid.uuid4()}")
    assert response.status_code == 404
    page = html(response)
    assert page.text(".error-page h1") == "Not found" and page.text(".error-page p.error").startswith(
        "There is no album"
    )
    assert page.count("header.top nav") == 1  # the styled page with the nav


async def test_saving_a_field_writes_one_corrected_row_with_the_user(client: Any, admin_user: int) -> None:
    album = await manual_album(title="Dated")
    response = save(client, album.id, "release_date", "1977-09-23", 1, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("#field-release_date")
    row = await Album.select().where(Album.id == album.id).first()
    assert row["release_date"] == "1977-09-23" and row["version"] == 2
    assert "release_date" in row["locked_fields"]
    (log,) = await corrected_rows(album.id)
    assert log["operation"] == "album:corrected:admin" and log["user_id"] == admin_user
    assert log["changes"] is not None and "1977-09-23" in str(log["changes"])
    page = html(client.get(f"/albums/{album.id}"))
    assert page.text("#field-release_date .value") == "1977-09-23"
    assert "NO_RELEASE_DATE" not in page.texts(".pill.reason code")
    assert page.one("#field-release_date form button")["aria-label"] == "Unlock Release date"


async def test_htmx_save_returns_the_page_content_with_a_flash(client: Any) -> None:
    album = await manual_album(title="Quick")
    response = save(client, album.id, "title", "Quicker", 1, headers={**HX, "HX-Target": "album-page"})
    assert response.status_code == 200
    page = html(response)
    assert page.count("header.top") == 0 and page.text("#album-page p.flash.ok") == "Saved title."
    assert page.one("header.album-head h1 > bdi").text == "Quicker"


async def test_invalid_value_keeps_the_typed_value_and_saves_nothing(client: Any) -> None:
    album = await manual_album(title="Strict")
    response = save(client, album.id, "release_date", "1977-02-30", 1)
    assert response.status_code == 422
    page = html(response)
    editor = page.one("#input-release_date")
    assert editor["value"] == "1977-02-30" and editor["aria-invalid"] == "true"
    assert "not a calendar date" in page.text("#error-release_date")
    assert "error-release_date" in editor["aria-describedby"].split()
    row = await Album.select().where(Album.id == album.id).first()
    assert row["release_date"] is None and row["version"] == 1
    assert await corrected_rows(album.id) == []


async def test_stale_version_shows_both_values_and_saves_nothing(client: Any) -> None:
    album = await manual_album(title="Original")
    await update_album(album.id, {"title": "Changed Elsewhere"}, expected_version=1)
    response = save(client, album.id, "title", "My Title", 1)
    assert response.status_code == 409
    conflict = html(response).one("#field-title .conflict")
    assert conflict.text_of("strong") == "Someone changed this album while you were editing"
    assert conflict.text_of("dd.yours") == "My Title"
    assert conflict.text_of("dd.current") == "Changed Elsewhere"
    form = html(response).one("#field-title form")
    assert form.one('input[name="version"]')["value"] == "2"  # "Save mine" now overwrites on purpose
    assert form.text_of('button[type="submit"]') == "Save mine"
    row = await Album.select().where(Album.id == album.id).first()
    assert row["title"] == "Changed Elsewhere" and row["version"] == 2
    assert len(await corrected_rows(album.id)) == 1
    mine = save(client, album.id, "title", "My Title", 2, follow_redirects=False)
    assert mine.status_code == 303


async def test_no_op_save_writes_no_row_and_no_version_bump(client: Any) -> None:
    album = await manual_album(title="Same")
    response = save(client, album.id, "title", "  Same ", 1, headers={**HX, "HX-Target": "album-page"})
    assert response.status_code == 200 and html(response).text("p.flash.ok") == "Nothing changed."
    row = await Album.select().where(Album.id == album.id).first()
    assert row["version"] == 1 and row["locked_fields"] == []
    assert await corrected_rows(album.id) == []


async def test_bad_field_or_missing_version_is_refused(client: Any) -> None:
    album = await manual_album(title="Guarded")
    assert save(client, album.id, "data_quality", "HIGH", 1).status_code == 400
    response = client.post(
        f"/albums/{album.id}/fields",
        data={"_csrf_token": client.cookies.get("llama_csrf"), "field": "title", "value": "X"},
    )
    assert response.status_code == 400 and "lost its version" in html(response).text("#error-title")
    row = await Album.select().where(Album.id == album.id).first()
    assert row["title"] == "Guarded" and row["data_quality"] != "HIGH"


async def test_unlock_is_on_the_record_with_the_user(client: Any, admin_user: int) -> None:
    album = await manual_album(title="Locked")
    save(client, album.id, "label", "Blue Note", 1, follow_redirects=False)
    response = client.post(
        f"/albums/{album.id}/unlock",
        data={"_csrf_token": client.cookies.get("llama_csrf"), "field": "label"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    row = await Album.select().where(Album.id == album.id).first()
    assert row["locked_fields"] == [] and row["label"] == "Blue Note"
    log = (
        await LlamaLog.select()
        .where(LlamaLog.operation == "album:unlocked:admin")
        .output(load_json=True)
        .first()
    )
    assert log is not None and log["category"] == "CORRECTED" and log["user_id"] == admin_user
    assert log["changes"] == {"locked_fields": {"before": ["label"], "after": []}}


async def test_field_posts_need_the_csrf_token(client: Any) -> None:
    album = await manual_album(title="Safe")
    response = client.post(
        f"/albums/{album.id}/fields", data={"field": "title", "value": "Hacked", "version": "1"}
    )
    assert response.status_code == 403
    for path in ("unlock", "enrich", "tracks", "tracks/paste", "tracks/renumber"):
        assert client.post(f"/albums/{album.id}/{path}", data={"field": "title"}).status_code == 403
    row = await Album.select().where(Album.id == album.id).first()
    assert row["title"] == "Safe" and row["version"] == 1
    assert await corrected_rows(album.id) == []


async def test_album_page_needs_login(anon_client: Any) -> None:
    album = await manual_album(title="Private")
    response = anon_client.get(f"/albums/{album.id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_odd_editor_links_show_the_page(client: Any) -> None:
    album = await manual_album(title="Robust")
    for query in ("edit=nope", "edit_track=not-a-uuid", "job=not-a-job", f"edit_track={uuid.uuid4()}"):
        response = client.get(f"/albums/{album.id}?{query}")
        assert response.status_code == 200
        assert html(response).one("header.album-head h1 > bdi").text == "Robust"
