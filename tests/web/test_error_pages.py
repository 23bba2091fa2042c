"""Errors on HTML routes are a styled page with the nav; /api errors stay JSON."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.catalog.tables import Album
from tests.conftest import csrf
from tests.factories import manual_album
from tests.html_query import Page, html


def nav_links(page: Page) -> list[str]:
    return [link["href"] for link in page.all('header.top nav[aria-label="Main"] a')]


def stylesheets(page: Page) -> list[str]:
    return [link["href"] for link in page.all('head link[rel="stylesheet"]')]


NAV = ["/", "/albums", "/albums/broken", "/logs", "/jobs", "/settings", "/admin/db/"]


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/nope", "Not found"),
        ("/albums/not-a-uuid", "Not found"),
        (f"/albums/{uuid.uuid4()}", "Not found"),
        (f"/jobs/{uuid.uuid4()}", "Not found"),
        ("/logs/extra/segments", "Not found"),
        ("/logs?status=NOPE", "That request could not be used"),
    ],
)
def test_html_errors_are_a_styled_page_with_the_nav(client: Any, path: str, heading: str) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("text/html")
    page = html(response)
    assert nav_links(page) == NAV
    assert "/static/app.css" in stylesheets(page)
    assert page.text("h1") == heading


def test_unknown_path_names_the_path(client: Any) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert html(response).text(".error-page p.error") == "There is no page at /nope."


def test_wrong_method_is_a_styled_405(client: Any) -> None:
    response = client.post("/logs", data={}, headers=csrf(client))
    assert response.status_code == 405
    page = html(response)
    assert nav_links(page) == NAV and page.text("h1") == "Not here"
    assert page.text(".error-page p.error") == "/logs does not answer a POST request."


async def test_oversized_form_is_a_styled_413(client: Any) -> None:
    album = await manual_album(title="Heavy")
    body = {"title": "x" * (2 * 1024 * 1024)}
    response = client.post(f"/albums/{album.id}/fields", data=body, headers=csrf(client))
    assert response.status_code == 413
    assert html(response).text("h1") == "Too big"
    assert (await Album.select(Album.title).where(Album.id == album.id).first())["title"] == "Heavy"


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/albums/{id}", "There is no album {id}."),
        ("GET", "/albums/{id}/fix/candidates", "There is no album {id}."),
        ("POST", "/albums/{id}/tracks/renumber", "There is no album {id}."),
        ("POST", "/albums/{id}/unlock", "There is no album {id}."),
        ("GET", "/artists/{id}", "There is no artist with that id."),
        ("GET", "/tracks/{id}", "There is no track with that id."),
        ("GET", "/jobs/{id}", "There is no job with that id: no run and no log rows."),
        ("POST", "/jobs/{id}/retry", "There is no run {id}."),
        ("POST", "/failures/{big}/retry", "log_id: there is no log row {big}"),
        ("GET", "/jobs/{id}/changes", "There is no job {id}."),
        ("POST", "/jobs/{id}/revert", "There is no job {id}."),
        ("GET", "/albums/broken/bulk/{id}", "There is no bulk apply run {id}."),
        ("POST", "/jobs/schedules/nope/pause", "There is no schedule called 'nope'."),
    ],
)
def test_not_found_anywhere_is_the_one_styled_404(client: Any, method: str, path: str, message: str) -> None:
    """A service's or a handler's NotFound: one handler draws the page, whatever area raised it."""
    ids = {"id": str(uuid.uuid4()), "big": "9" * 30}
    data = {"field": "title", "_csrf_token": client.cookies.get("llama_csrf")}
    response = client.request(method, path.format(**ids), data=data if method == "POST" else None)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    page = html(response)
    assert nav_links(page) == NAV and page.text(".error-page h1") == "Not found"
    assert page.text(".error-page p.error") == message.format(**ids)


@pytest.mark.parametrize(
    ("path", "detail"), [("/api/albums/{id}", "There is no album {id}."), ("/api/jobs/{id}", "no such job")]
)
def test_not_found_under_api_is_json(client: Any, path: str, detail: str) -> None:
    ident = str(uuid.uuid4())
    response = client.get(path.format(id=ident), headers={"accept": "text/html"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status_code": 404, "detail": detail.format(id=ident)}


@pytest.mark.parametrize("path", ["/api/nope", f"/api/albums/{uuid.uuid4()}", "/api/logs?status=NOPE"])
def test_api_errors_stay_json(client: Any, path: str) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == response.status_code and body["detail"]


def test_anonymous_unknown_path_still_goes_to_login(anon_client: Any) -> None:
    response = anon_client.get("/nope", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fnope"
