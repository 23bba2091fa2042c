"""The 🦙 LlamaLog table at /logs: columns, filters in the URL, keyset pages, rows that open, 400s."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.llamalog.logger import record
from app.llamalog.tables import LlamaLog
from tests.factories import job_album, manual_album, tracklist

# The mark is the llama SVG, not the emoji (an empty box without an emoji font).
LOG_HEADING = '<h1><img class="mark" src="/static/llama.svg" alt=""> LlamaLog</h1>'
XSS_TITLES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="log-(\d+)" class="log-row', html)]


async def test_full_page_has_header_columns_and_badges(client: Any) -> None:
    created, _ = await job_album(title="Blue Train", artist="John Coltrane", tracks=tracklist(2))
    html = client.get("/logs").text
    assert LOG_HEADING in html
    for column in ("Time", "Category", "Entity", "Operation", "Status", "Sources", "Fields", "Duration"):
        assert f">{column}</th>" in html
    assert '<span class="badge CREATED"><img src="/static/llama.svg" alt="">CREATED</span>' in html
    assert f'href="/albums/{created.id}">Blue Train</a>' in html
    assert '<span class="pill SUCCESS">SUCCESS</span>' in html
    assert "<html" in html and 'name="category"' in html
    assert len(row_ids(html)) == 4  # album, artist, two tracks


async def test_htmx_request_gets_the_content_block(client: Any) -> None:
    await manual_album(title="Block Album")
    html = client.get("/logs", headers={"HX-Request": "true"}).text
    assert "<html" not in html and LOG_HEADING in html and "Block Album" in html


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
    assert message in response.text.replace("&#39;", "'")
    assert "<html" in response.text


async def test_filters_stay_in_the_url_and_narrow_the_rows(client: Any) -> None:
    created = await manual_album(title="Filter Me", tracks=tracklist(2))
    await update_album(created.id, {"title": "Filtered"}, expected_version=1)
    html = client.get("/logs?category=CORRECTED&category=LINKED&entity_type=album").text
    assert len(row_ids(html)) == 1 and "album:corrected:admin" in html
    assert 'value="CORRECTED" checked' in html and 'value="LINKED" checked' in html
    assert '<option value="ALBUM" selected>' in html
    # the live stream and the pages carry the same filter
    assert "/logs/stream?category=CORRECTED&amp;category=LINKED&amp;entity_type=ALBUM&amp;after=" in html
    html = client.get("/logs?q=TRACK &source=USER&operation=track:created:*").text
    assert len(row_ids(html)) == 2


async def test_pages_follow_the_cursor_without_overlap(client: Any) -> None:
    await manual_album(title="Paged", tracks=tracklist(11))  # 13 rows
    seen: list[int] = []
    url = "/logs?limit=5&entity_type=TRACK"
    pages = 0
    while url:
        html = client.get(url).text
        seen.extend(row_ids(html))
        pages += 1
        found = re.search(r'rel="next" href="(/logs\?[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
        assert not found or "cursor=" in url and "entity_type=TRACK" in url and "offset" not in url
    assert pages == 3
    assert len(seen) == 11 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


async def test_row_expands_to_diff_metadata_and_error(client: Any) -> None:
    created = await manual_album(title="Before Title")
    await update_album(created.id, {"title": "After Title"}, expected_version=1)
    row = await LlamaLog.select().where(LlamaLog.category == "CORRECTED").first()
    html = client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}).text
    assert html.count("<tr") >= 3 and "<html" not in html
    assert 'aria-expanded="true"' in html and f'id="log-{row["id"]}-detail"' in html
    assert '<td class="before">Before Title</td>' in html
    assert '<td class="after">After Title</td>' in html
    closed = client.get(f"/logs?collapse={row['id']}", headers={"HX-Request": "true"}).text
    assert 'aria-expanded="false"' in closed and 'hx-swap-oob="delete"' in closed
    # without JavaScript the same URL opens the row inside the full page
    full = client.get(f"/logs?expand={row['id']}").text
    assert "<html" in full and '<td class="after">After Title</td>' in full
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
    html = client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}).text
    assert "MB_TIMEOUT" in html and "MusicBrainz did not answer &lt;in time&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "&#34;attempt&#34;: 3" in html


@pytest.mark.parametrize("title", XSS_TITLES)
async def test_hostile_titles_render_inert_in_table_and_diff(client: Any, title: str) -> None:
    created = await manual_album(title=title, artist=title)
    await update_album(created.id, {"title": title + " 2"}, expected_version=1)
    html = client.get("/logs").text
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        or "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    )
    row = await LlamaLog.select().where(LlamaLog.category == "CORRECTED").first()
    detail = client.get(f"/logs?expand={row['id']}", headers={"HX-Request": "true"}).text
    assert "<script>alert(1)</script>" not in detail and "<img src=x onerror" not in detail
    assert "alert(1)" in detail


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
    html = client.get("/logs?limit=50").text
    assert len(row_ids(html)) == 50
    assert query_counter["n"] == small
