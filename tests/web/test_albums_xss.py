"""Hostile album titles render inert on every page they appear on, and as plain JSON in the APIs."""

from __future__ import annotations

from typing import Any

from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import record
from tests.factories import manual_album
from tests.html_query import html

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ESCAPED = {
    SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;",
    IMG: "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
}
RAW_TAGS = ("<script>alert(1)", "<img src=x onerror")


JSON_ESCAPED = {
    SCRIPT: "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    IMG: '\\"\\u003e\\u003cimg src=x onerror=alert(1)\\u003e',
}


def assert_inert_json(response: Any, *titles: str) -> None:
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    for title in titles:
        assert JSON_ESCAPED[title] in response.text, f"escaped {title!r} missing"
    for tag in RAW_TAGS:
        assert tag not in response.text, f"raw {tag!r} in the body"


def assert_inert(markup: str, *titles: str) -> None:
    """Escaped in the markup, and so no element made of it: a browser shows the title as text."""
    for title in titles:
        assert ESCAPED[title] in markup, f"escaped {title!r} missing"
    for tag in RAW_TAGS:
        assert tag not in markup, f"raw {tag!r} rendered"
    page = html(markup)
    assert page.count("script:not([src])") == 0 and page.count('img[src="x"], [onerror]') == 0
    for title in titles:
        assert title in page.text(), f"{title!r} is not shown as text"


async def hostile_albums() -> list[Any]:
    albums = [await manual_album(title=SCRIPT, artist=IMG), await manual_album(title=IMG, artist=SCRIPT)]
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        await record(
            entity_type="ALBUM",
            entity_id=albums[1].id,
            operation="album:failed:enrichment",
            status="FAILED",
            entity_label=IMG,
            error_code="UPSTREAM",
            error_message=SCRIPT,
        )
    return albums


async def test_album_lists_render_hostile_titles_inert(client: Any) -> None:
    await hostile_albums()
    for url in ("/albums", "/albums/broken", f"/albums?q={IMG[:5]}"):
        assert_inert(client.get(url).text, SCRIPT, IMG)
    block = client.get("/albums?q=alert", headers={"HX-Request": "true", "HX-Target": "results"}).text
    assert_inert(block, SCRIPT, IMG)


async def test_album_page_editor_and_conflict_render_inert(client: Any) -> None:
    script_album, img_album = await hostile_albums()
    for album in (script_album, img_album):
        assert_inert(client.get(f"/albums/{album.id}").text, SCRIPT, IMG)
        assert_inert(client.get(f"/albums/{album.id}?edit=title").text, SCRIPT, IMG)
    token = client.cookies.get("llama_csrf")
    conflict = client.post(
        f"/albums/{script_album.id}/fields",
        data={"_csrf_token": token, "field": "title", "value": IMG, "version": "99"},
    )
    assert conflict.status_code == 409
    assert_inert(conflict.text, SCRIPT, IMG)
    invalid = client.post(
        f"/albums/{script_album.id}/fields",
        data={"_csrf_token": token, "field": "release_date", "value": IMG, "version": "1"},
    )
    assert invalid.status_code == 422
    assert_inert(invalid.text, IMG)


async def test_dashboard_renders_hostile_labels_and_errors_inert(client: Any) -> None:
    await hostile_albums()
    markup = client.get("/").text
    assert_inert(markup, SCRIPT, IMG)  # the failure's label is IMG, its error message SCRIPT


async def test_json_apis_return_the_title_as_data(client: Any) -> None:
    script_album, _ = await hostile_albums()
    listing = client.get("/api/albums")
    assert_inert_json(listing, SCRIPT, IMG)
    assert {a["title"] for a in listing.json()["albums"]} == {SCRIPT, IMG}  # the data is unchanged
    one = client.get(f"/api/albums/{script_album.id}")
    assert_inert_json(one, SCRIPT, IMG)
    assert one.json()["title"] == SCRIPT and one.json()["artists"][0]["name"] == IMG
    admin = client.get("/admin/db/api/tables/album/?__readable=true")
    assert admin.status_code == 200
    assert_inert_json(admin, SCRIPT, IMG)
    assert {row["title"] for row in admin.json()["rows"]} == {SCRIPT, IMG}
    log_rows = client.get("/admin/db/api/tables/llama_log/")
    assert_inert_json(log_rows, IMG)
