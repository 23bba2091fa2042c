"""API tokens: made at /settings/tokens (shown once, kept hashed), `Authorization: Bearer` on every
/api route, 401 when bad or revoked, 403 for a read-only token on a write, no CSRF for bearer requests,
each creation and revocation on the record with its admin."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import post
from litestar.testing import TestClient

from app.auth.tables import ApiToken
from app.jobs.tables import Job
from app.main import create_app
from tests.conftest import csrf, log_in
from tests.factories import manual_album, tracklist
from tests.html_query import Element, Page, html


@post("/api/test-write", name="test_write")
async def _a_write() -> dict[str, str]:
    return {"wrote": "yes"}


@pytest.fixture
def apps(admin_user: int) -> Iterator[tuple[Any, Any]]:
    """(the admin's browser, a script with no cookies) on one app with a write route under /api."""
    app = create_app(extra_route_handlers=[_a_write])
    with TestClient(app=app, base_url="http://127.0.0.1") as browser:
        with TestClient(app=app, base_url="http://127.0.0.1") as script:
            assert log_in(browser).status_code == 303
            yield browser, script


def _create(browser: Any, name: str = "nightly", scope: str = "read") -> str:
    response = browser.post("/settings/tokens", data={"name": name, "scope": scope}, headers=csrf(browser))
    assert response.status_code == 201, response.text
    shown = html(response).one("section.token-created input#new-token[readonly]")  # shown once
    assert shown["value"].startswith("llama_"), shown
    return shown["value"]


def token_row(page: Page, name: str) -> Element:
    """The one row of the token list named `name`."""
    rows = [row for row in page.all("table.tokens tr.token-row") if row.all("td")[0].text == name]
    assert len(rows) == 1, (name, page.texts("table.tokens tr.token-row"))
    return rows[0]


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_token_is_shown_once_and_kept_only_as_its_hash(apps: tuple[Any, Any]) -> None:
    browser, _ = apps
    token = _create(browser, "exporter")
    (row,) = await ApiToken.select()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(row)
    listed = browser.get("/settings/tokens")
    assert token_row(html(listed), "exporter").all("td")[1].text == "read-only"
    assert html(listed).count("#new-token") == 0
    assert token not in listed.text  # nowhere in the body, not even in an attribute
    (job,) = await Job.select().where(Job.kind == "token-create")
    assert job["username"] == "admin" and job["user_id"] is not None


async def test_a_token_reads_the_api_without_a_session_and_its_use_is_noted(apps: tuple[Any, Any]) -> None:
    browser, script = apps
    await manual_album(title="Scripted", tracks=tracklist(2))
    token = _create(browser)
    assert script.get("/api/logs").status_code == 401  # no session, no token
    response = script.get("/api/logs?entity_type=TRACK", headers=_bearer(token))
    assert response.status_code == 200 and response.json()["count"] == 2
    assert script.get("/api/logs/export?format=jsonl", headers=_bearer(token)).status_code == 200
    assert script.get("/api/albums", headers=_bearer(token)).status_code == 200
    (row,) = await ApiToken.select(ApiToken.last_used_at)
    assert row["last_used_at"] is not None
    (export_job,) = await Job.select().where(Job.kind == "export")
    assert export_job["username"] == "admin"  # the token acts as the admin who made it


@pytest.mark.parametrize("header", ["Bearer llama_not-a-token", "Bearer ", "Basic YWRtaW46eA==", "llama_x"])
async def test_a_bad_token_is_a_401(apps: tuple[Any, Any], header: str) -> None:
    _, script = apps
    response = script.get("/api/logs", headers={"authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "token" in response.json()["detail"]


async def test_a_revoked_token_is_a_401_and_the_revocation_is_on_the_record(apps: tuple[Any, Any]) -> None:
    browser, script = apps
    token = _create(browser)
    assert script.get("/api/logs", headers=_bearer(token)).status_code == 200
    (row,) = await ApiToken.select(ApiToken.id)
    response = browser.post(
        f"/settings/tokens/{row['id']}/revoke", headers=csrf(browser), follow_redirects=False
    )
    assert response.status_code == 303
    assert script.get("/api/logs", headers=_bearer(token)).status_code == 401
    (job,) = await Job.select().where(Job.kind == "token-revoke")
    assert job["username"] == "admin"
    revoked = html(browser.get("/settings/tokens")).one(f"tr.token-row#token-{row['id']}")
    assert "revoked" in revoked.classes and revoked.all("td")[-1].text.startswith("revoked ")
    assert revoked.all("td")[-1].text.endswith(" by admin") and revoked.count("form") == 0
    again = browser.post(f"/settings/tokens/{row['id']}/revoke", headers=csrf(browser))
    assert again.status_code == 404
    huge = browser.post(f"/settings/tokens/{2**70}/revoke", headers=csrf(browser))  # past any id column
    assert huge.status_code == 404
    assert html(huge).text(".error-page p.error") == f"There is no live token #{2**70}."


async def test_a_read_only_token_cannot_write_and_a_read_write_one_needs_no_csrf(
    apps: tuple[Any, Any],
) -> None:
    browser, script = apps
    reader, writer = _create(browser, "reader", "read"), _create(browser, "writer", "write")
    refused = script.post("/api/test-write", headers=_bearer(reader))
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    allowed = script.post("/api/test-write", headers=_bearer(writer))
    assert allowed.status_code == 201 and allowed.json() == {"wrote": "yes"}
    # A cookie session still needs its CSRF token, on /api as on pages.
    assert browser.post("/api/test-write").status_code == 403
    assert browser.post("/api/test-write", headers=csrf(browser)).status_code == 201


async def test_a_token_opens_no_page(apps: tuple[Any, Any]) -> None:
    browser, script = apps
    token = _create(browser)
    response = script.get("/logs", headers=_bearer(token), follow_redirects=False)
    assert response.status_code == 303  # pages are for the browser session only


@pytest.mark.parametrize(
    ("data", "field"), [({"name": "", "scope": "read"}, "name"), ({"name": "x", "scope": "root"}, "scope")]
)
async def test_a_bad_form_is_refused_naming_the_field(
    apps: tuple[Any, Any], data: dict[str, str], field: str
) -> None:
    browser, _ = apps
    response = browser.post("/settings/tokens", data=data, headers=csrf(browser))
    assert response.status_code == 422
    where = {"name": "#t-name ~ p.field-error", "scope": "fieldset > p.field-error"}[field]
    page = html(response)
    assert page.one(where).text and page.count(".field-error") == 1  # that field, and only that one
    assert await ApiToken.count() == 0


async def test_the_schema_documents_the_bearer_scheme(apps: tuple[Any, Any]) -> None:
    browser, _ = apps
    schema = browser.get("/schema/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["BearerToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert {"BearerToken": []} in schema["security"]


async def test_html_in_a_token_name_is_escaped(apps: tuple[Any, Any]) -> None:
    browser, _ = apps
    _create(browser, "<script>alert(1)</script>")
    page = browser.get("/settings/tokens").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page  # escaped in the body
    row = token_row(html(page), "<script>alert(1)</script>")  # shown as text, not run as a script
    assert row.count("script") == 0 and html(page).one("table.tokens").count("script") == 0
