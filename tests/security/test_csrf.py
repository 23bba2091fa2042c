"""CSRF: every POST route of the app (read from its route table, so new ones are covered) refuses a
logged-in request without the token, or with a forged one, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.users import login
from app.catalog.tables import Album, Track
from app.llamalog.tables import LlamaLog
from app.web.csrf import token_for_session
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, log_in
from tests.factories import manual_album, tracklist
from tests.security.routes import fill, routes


async def _values() -> dict[str, Any]:
    album = await manual_album(title="Guarded", tracks=tracklist(2))
    track = await Track.select(Track.id).where(Track.album == album.id).first()
    log = await LlamaLog.select(LlamaLog.id, LlamaLog.root_job_id).first()
    return {
        "album_id": album.id,
        "track_id": track["id"],
        "log_id": log["id"],
        "ident": log["root_job_id"],
        "job_id": log["root_job_id"],
        "name": "sync_spotify",
        "token_id": 1,
    }


async def _snapshot() -> tuple[Any, ...]:
    albums = await Album.select(Album.title, Album.version)
    return (albums, await Track.count(), await LlamaLog.count())


def test_every_post_route_is_listed() -> None:
    posts = routes("POST")
    assert {"/login", "/logout", "/albums/new", "/albums/{album_id:uuid}/fields"} <= set(posts)


@pytest.mark.parametrize("token", ["missing", "forged", "other-cookie"])
async def test_every_post_route_refuses_a_request_without_a_valid_token(client: Any, token: str) -> None:
    values = await _values()
    before = await _snapshot()
    form = {"title": "Changed", "field": "title", "value": "Changed", "version": "1", "username": "x"}
    if token == "forged":
        form["_csrf_token"] = "forged-" + "0" * 40
    headers = {"x-csrftoken": "forged"} if token == "forged" else {}
    if token == "other-cookie":  # a token minted for another browser (its own cookie) is no good here
        form["_csrf_token"] = client.cookies.get("llama_csrf")
        client.cookies.set("llama_csrf", "someone-elses-" + "1" * 40)
    for path in routes("POST"):
        for url in fill(path, values):
            response = client.post(url, data=form, headers=headers, follow_redirects=False)
            assert response.status_code == 403, f"POST {url} answered {response.status_code} without CSRF"
    assert await _snapshot() == before
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in (logout refused)


async def test_the_token_from_the_page_is_accepted(client: Any) -> None:
    """The refusals above are CSRF refusals: the same request with the real token gets through."""
    values = await _values()
    token = client.cookies.get("llama_csrf")
    url = fill("/albums/{album_id:uuid}/fields", values)[0]
    form = {"_csrf_token": token, "field": "title", "value": "Changed", "version": "1"}
    response = client.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303
    form = {"field": "title", "value": "Again", "version": "2"}
    htmx = client.post(url, data=form, headers={"x-csrftoken": token, "HX-Request": "true"})
    assert htmx.status_code == 200
    assert (await Album.select(Album.title).where(Album.id == values["album_id"]).first())["title"] == "Again"


async def test_piccolo_admin_refuses_writes_without_its_token(client: Any) -> None:
    album = await manual_album(title="Admin Guarded")
    response = client.delete(f"/admin/db/api/tables/album/{album.id}/")
    assert response.status_code in (403, 405), response.status_code
    response = client.post("/admin/db/api/tables/album/", json={"title": "Injected"})
    assert response.status_code in (403, 405), response.status_code
    assert await Album.count() == 1


async def test_a_token_from_an_anonymous_login_page_is_refused_after_logging_in(
    admin_user: int, anon_client: Any
) -> None:
    """The token is bound to the session: what an anonymous /login handed out (to anyone, an
    attacker included) is no good once a session exists, nor is another session's token."""
    anon_client.get("/login")
    anonymous = anon_client.cookies["llama_csrf"]
    assert log_in(anon_client).status_code == 303
    session, own = anon_client.cookies["id"], anon_client.cookies["llama_csrf"]
    assert own != anonymous  # rotated at login
    other_session = await login(ADMIN_USER, ADMIN_PASSWORD, "another-browser")
    album = await manual_album(title="Bound")
    url = f"/albums/{album.id}/fields"
    anon_client.cookies.clear()
    mine = f"id={session}"

    def post(token: str, value: str, sessions: str = mine) -> int:
        form = {"_csrf_token": token, "field": "title", "value": value, "version": "1"}
        cookie = {"cookie": f"{sessions}; llama_csrf={token}"}
        return anon_client.post(url, data=form, headers=cookie, follow_redirects=False).status_code

    assert post(anonymous, "From the login page") == 403
    assert post(token_for_session(other_session), "From another session") == 403
    # A second `id` cookie planted after the victim's must not decide which token counts.
    planted = f"{mine}; id={other_session}"
    assert post(token_for_session(other_session), "Planted", sessions=planted) == 403
    assert (await Album.select(Album.title).first())["title"] == "Bound"
    assert post(own, "Mine") == 303
    assert (await Album.select(Album.title).first())["title"] == "Mine"


def test_logging_out_rotates_the_token(client: Any) -> None:
    before = client.cookies["llama_csrf"]
    assert client.post("/logout", data={"_csrf_token": before}, follow_redirects=False).status_code == 303
    after = client.cookies["llama_csrf"]
    assert after != before and client.get("/login").status_code == 200
