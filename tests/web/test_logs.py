"""The 🦙 LlamaLog table at /logs: columns, filters in the URL, keyset pages, rows that open, 400s."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog.albums import update_album
from app.llamalog.logger import record
from app.llamalog.tables import LlamaLog
from tests.factories import job_album, manual_album, tracklist
from tests.html_query import Page, html

XSS_TITLES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def row_ids(page: Page) -> list[int]:
    return [int(row["id"].removeprefix("log-")) for row in page.all("#log-rows tr.log-row")]


def assert_log_heading(page: Page) -> None:
    # The mark is the llama SVG, not the emoji (an empty box without an emoji font).
    heading = page.one(".log-head h1")
    assert heading.text == "LlamaLog" and heading.one("img.mark")["src"] == "/static/llama.svg"


async def test_full_page_has_header_columns_and_badges(client: Any) -> None:
    created, _ = await job_album(title="Blue Train", artist="John Coltrane", tracks=tracklist(2))
    page = html(client.get("/logs"))
    assert_log_heading(page)
    assert page.texts("table.log-table thead th") == [
        *("Time", "Category", "Entity", "Operation", "Status", "Sources", "Fields", "Duration", "Job", "User")
    ]
    badges = page.all("#log-rows .badge.CREATED")
    assert len(badges) == 4 and all(
        b.text == "CREATED" and b.one("img")["src"] == "/static/llama.svg" for b in badges
    )
    assert page.one(f'#log-rows td.entity a[href="/albums/{created.id}"]').text == "Blue Train"
    assert page.texts("#log-rows .pill.SUCCESS") == ["SUCCESS"] * 4
    assert page.count("html head title") == 1 and page.count('form.log-filters input[name="category"]') > 0
    assert len(row_ids(page)) == 4  # album, artist, two tracks


async def test_htmx_request_gets_the_content_block(client: Any) -> None:
    await manual_album(title="Block Album")
    page = html(client.get("/logs", headers={"HX-Request": "true"}))
    assert page.count("title") == 0 and page.count("header.top") == 0  # the content block only
    assert_log_heading(page)
    assert "Block Album" in page.texts("#log-rows td.entity a")


def test_anonymous_is_sent_to_login(anon_client: Any) -> None:
    response = anon_client.get("/logs?status=FAILED", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=NOPE", "category: unknown value"),
        ("status=MAYBE", "status: unknown value"),
        ("since=yesterday", "since: 'yesterday' is not a date"),
        ("until=2026-13-40", "until: '2026-13-40' is not a date"),
        ("cursor=not-a-cursor!!", "cursor: not a cursor from this site"),
        ("job=abc", "job: 'abc' is not a job id"),
        ("expand=abc", "expand: 'abc' is not a row number"),
    ],
)
def test_bad_input_is_a_400_with_a_clear_message(client: Any, query: str, message: str) -> None:
    response = client.get(f"/logs?{query}")
    assert response.status_code == 400
    page = html(response)
    assert page.count("header.top nav") == 1  # the whole page, with the nav
    assert page.text(".error-page h1") == "That request could not be used"
    assert message in page.text(".error-page p.error")


async def test_filters_stay_in_the_url_and_narrow_the_rows(client: Any) -> None:
    created = await manual_album(title="Filter Me", tracks=tracklist(2))
    await update_album(created.id, {"title": "Filtered"}, expected_version=1)
    page = html(client.get("/logs?category=CORRECTED&category=LINKED&entity_type=album"))
    assert len(row_ids(page)) == 1 and page.texts("#log-rows td.op") == ["album:corrected:admin"]
    checked = [box["value"] for box in page.all('input[name="category"]') if box.has("checked")]
    assert checked == ["CORRECTED", "LINKED"]
    assert page.one("#f-entity option[selected]")["value"] == "ALBUM"
    # the live stream and the pages carry the same filter
    stream = page.one("#live")["sse-connect"]
    assert stream.startswith("/logs/stream?category=CORRECTED&category=LINKED&entity_type=ALBUM&after=")
    page = html(client.get("/logs?q=TRACK &source=USER&operation=track:created:*"))
    assert len(row_ids(page)) == 2


async def test_pages_follow_the_cursor_without_overlap(client: Any) -> None:
    await manual_album(title="Paged", tracks=tracklist(11))  # 13 rows
    seen: list[int] = []
    url = "/logs?limit=5&entity_type=TRACK"
    pages = 0
    while url:
        page = html(client.get(url))
        seen.extend(row_ids(page))
        pages += 1
        found = page.first('a[rel="next"]')
        url = found["href"] if found else ""
        assert not found or "cursor=" in url and "entity_type=TRACK" in url and "offset" not in url
    assert pages == 3
    assert len(seen) == 11 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


async def test_row_expands_to_diff_metadata_and_error(client: Any) -> None:
    created = await manual_album(title="Before Title")
    await update_album(created.id, {"title": "After Title"}, expected_version=1)
    row = await LlamaLog.select().where(LlamaLog.category == "CORRECTED").first()
    page = html(client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}))
    assert page.count("title") == 0 and page.count("tr") >= 3
    assert page.one(f"#log-{row['id']} a.toggle")["aria-expanded"] == "true"
    detail = page.one(f"#log-{row['id']}-detail")
    assert detail.texts("td.before") == ["Before Title"] and detail.texts("td.after") == ["After Title"]
    closed = html(client.get(f"/logs?collapse={row['id']}", headers={"HX-Request": "true"}))
    assert closed.one(f"#log-{row['id']} a.toggle")["aria-expanded"] == "false"
    assert closed.one(f"#log-{row['id']}-detail")["hx-swap-oob"] == "delete"
    # without JavaScript the same URL opens the row inside the full page
    full = html(client.get(f"/logs?expand={row['id']}"))
    assert full.count("header.top") == 1
    assert full.texts(f"#log-rows #log-{row['id']}-detail td.after") == ["After Title"]
    assert client.get("/logs?expand=999999", headers={"HX-Request": "true"}).status_code == 400


async def test_failed_row_shows_error_and_escaped_metadata(client: Any) -> None:
    created = await manual_album(title="Broken")
    await record(
        entity_type="ALBUM",
        entity_id=created.id,
        operation="album:failed:enrichment",
        status="FAILED",
        error_code="MB_TIMEOUT",
        error_message="MusicBrainz did not answer <in time>",
        metadata={"attempt": 3, "note": "<b>bold</b>"},
        entity_label="Broken",
    )
    row = await LlamaLog.select().where(LlamaLog.status == "FAILED").first()
    page = html(client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}))
    detail = page.one(f"#log-{row['id']}-detail")
    assert "MB_TIMEOUT" in detail.text and "MusicBrainz did not answer <in time>" in detail.text
    metadata = detail.one("pre.json")
    assert '"note": "<b>bold</b>"' in metadata.text and metadata.count("b") == 0  # text, not markup
    assert '"attempt": 3' in metadata.text


@pytest.mark.parametrize("title", XSS_TITLES)
async def test_hostile_titles_render_inert_in_table_and_diff(client: Any, title: str) -> None:
    created = await manual_album(title=title, artist=title)
    await update_album(created.id, {"title": title + " 2"}, expected_version=1)
    page = html(client.get("/logs"))
    assert page.count("script:not([src])") == 0 and page.count('img[src="x"]') == 0  # no such element
    assert title in page.texts("#log-rows td.entity a")  # shown as text, as typed
    row = await LlamaLog.select().where(LlamaLog.category == "CORRECTED").first()
    detail = html(client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}))
    assert detail.count("script") == 0 and detail.count('img[src="x"]') == 0
    assert detail.texts("td.after") == [title + " 2"]


async def test_a_page_costs_the_same_queries_whatever_its_size(
    client: Any, query_counter: dict[str, int]
) -> None:
    await manual_album(title="Small", tracks=tracklist(1))
    query_counter["n"] = 0
    assert client.get("/logs").status_code == 200
    small = query_counter["n"]
    for n in range(3):
        await manual_album(title=f"Big {n}", tracks=tracklist(15))
    query_counter["n"] = 0
    page = html(client.get("/logs?limit=50"))
    assert len(row_ids(page)) == 50
    assert query_counter["n"] == small
