"""piccolo-admin at /admin/db: the site's login, the slash redirect, every table read-only."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.tables import Album
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album

TABLES = ("album", "artist", "track", "album_artist", "track_artist", "llama_log", "job")


def admin_headers(client: Any) -> dict[str, str]:
    """piccolo-admin's own CSRF: its `csrftoken` cookie echoed in a header."""
    client.get("/admin/db/")
    client.get("/admin/db/api/tables/")
    return {"X-CSRFToken": client.cookies.get("csrftoken") or ""}


def test_anonymous_admin_goes_to_the_site_login(anon_client: Any) -> None:
    for url in ("/admin/db", "/admin/db/", "/admin/db/api/tables/album/"):
        response = anon_client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_admin_without_slash_redirects_308(client: Any) -> None:
    response = client.get("/admin/db", follow_redirects=False)
    assert response.status_code == 308 and response.headers["location"] == "/admin/db/"
    page = client.get("/admin/db/")
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_the_site_session_is_the_admin_session(client: Any) -> None:
    user = client.get("/admin/db/api/user/")
    assert user.status_code == 200 and user.json()["username"] == "admin"
    tables = client.get("/admin/db/api/tables/").json()
    assert set(TABLES) <= set(tables)


@pytest.mark.parametrize("table", TABLES)
async def test_every_table_is_read_only(client: Any, table: str) -> None:
    await manual_album(title="Untouchable")
    headers = admin_headers(client)
    listing = client.get(f"/admin/db/api/tables/{table}/")
    assert listing.status_code == 200
    rows = listing.json()["rows"]
    before_albums, before_log = await Album.count(), await LlamaLog.count()
    created = client.post(f"/admin/db/api/tables/{table}/", json={}, headers=headers)
    assert created.status_code == 405 and "read-only here" in created.text
    assert client.delete(f"/admin/db/api/tables/{table}/", headers=headers).status_code == 405
    if rows:
        pk = rows[0].get("id", rows[0].get("job_id"))
        url = f"/admin/db/api/tables/{table}/{pk}/"
        assert client.patch(url, json={"title": "Changed"}, headers=headers).status_code == 405
        assert client.put(url, json={}, headers=headers).status_code == 405
        assert client.delete(url, headers=headers).status_code == 405
    assert (await Album.count(), await LlamaLog.count()) == (before_albums, before_log)
    assert (await Album.select(Album.title).first())["title"] == "Untouchable"


def test_site_posts_still_work_after_visiting_the_admin(client: Any) -> None:
    admin_headers(client)  # piccolo sets its own csrftoken cookie; ours is llama_csrf
    token = client.cookies.get("llama_csrf")
    response = client.post(
        "/albums/new", data={"_csrf_token": token, "title": "After Admin"}, follow_redirects=False
    )
    assert response.status_code == 303
