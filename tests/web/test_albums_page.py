"""/albums/{id}: click-to-edit fields, inline errors, version conflicts, no-op saves, unlock."""

from __future__ import annotations

import uuid
from typing import Any

from app.catalog.albums import update_album
from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album, tracklist

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
    page = client.get(f"/albums/{album.id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1><bdi>Paged</bdi></h1>" in html and "Someone" in html and "Track 2" in html
    assert 'id="field-release_date"' in html and "NO_RELEASE_DATE" in html
    assert '{% include "fix/_panel.html" %}' not in html and 'id="timeline"' in html
    content = client.get(f"/albums/{album.id}", headers=HX).text
    assert "<html" not in content and 'id="album-page"' in content
    fields = client.get(f"/albums/{album.id}?edit=title", headers={**HX, "HX-Target": "field-title"}).text
    assert "<html" not in fields and 'id="tracks"' not in fields
    assert 'name="value" type="text" value="Paged" autofocus' in fields
    assert 'hx-trigger="cancel-edit"' in fields  # static/app.js sends it on Escape (no eval under the CSP)
    tracks = client.get(f"/albums/{album.id}", headers={**HX, "HX-Target": "track-x"}).text
    assert "Track 1" in tracks and 'id="field-title"' not in tracks


def test_unknown_album_is_404(client: Any) -> None:
    response = client.get(f"/albums/{uuid.uuid4()}")
    assert response.status_code == 404 and "There is no album" in response.text


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
    html = client.get(f"/albums/{album.id}").text
    assert "1977-09-23" in html and "NO_RELEASE_DATE" not in html
    assert 'aria-label="Unlock Release date"' in html


async def test_htmx_save_returns_the_page_content_with_a_flash(client: Any) -> None:
    album = await manual_album(title="Quick")
    response = save(client, album.id, "title", "Quicker", 1, headers={**HX, "HX-Target": "album-page"})
    assert response.status_code == 200
    assert (
        "<html" not in response.text
        and "Saved title." in response.text
        and "<h1><bdi>Quicker</bdi></h1>" in response.text
    )


async def test_invalid_value_keeps_the_typed_value_and_saves_nothing(client: Any) -> None:
    album = await manual_album(title="Strict")
    response = save(client, album.id, "release_date", "1977-02-30", 1)
    assert response.status_code == 422
    assert 'value="1977-02-30"' in response.text and "not a calendar date" in response.text
    assert 'id="error-release_date"' in response.text
    row = await Album.select().where(Album.id == album.id).first()
    assert row["release_date"] is None and row["version"] == 1
    assert await corrected_rows(album.id) == []


async def test_stale_version_shows_both_values_and_saves_nothing(client: Any) -> None:
    album = await manual_album(title="Original")
    await update_album(album.id, {"title": "Changed Elsewhere"}, expected_version=1)
    response = save(client, album.id, "title", "My Title", 1)
    assert response.status_code == 409
    html = response.text
    assert "Someone changed this album while you were editing" in html
    assert '<dd class="yours">My Title</dd>' in html
    assert '<dd class="current">Changed Elsewhere</dd>' in html
    assert 'name="version" value="2"' in html  # "Save mine" now overwrites on purpose
    row = await Album.select().where(Album.id == album.id).first()
    assert row["title"] == "Changed Elsewhere" and row["version"] == 2
    assert len(await corrected_rows(album.id)) == 1
    mine = save(client, album.id, "title", "My Title", 2, follow_redirects=False)
    assert mine.status_code == 303


async def test_no_op_save_writes_no_row_and_no_version_bump(client: Any) -> None:
    album = await manual_album(title="Same")
    response = save(client, album.id, "title", "  Same ", 1, headers={**HX, "HX-Target": "album-page"})
    assert response.status_code == 200 and "Nothing changed." in response.text
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
    assert response.status_code == 400 and "lost its version" in response.text
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
        assert response.status_code == 200 and "<h1><bdi>Robust</bdi></h1>" in response.text
