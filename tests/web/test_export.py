"""/api/logs/export and a chain's export: the same rows as the API, streamed in batches, CSV a
spreadsheet opens safely, bad parameters a 400 naming them, every export a job on the record."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.db import engine
from app.jobs.tables import Job
from app.llamalog import export
from app.llamalog.filters import LogFilter
from tests.conftest import TEST_DB
from tests.factories import manual_album, tracklist


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("id"):
            self.hrefs[str(found["id"])] = found.get("href") or ""


def _api_rows(client: Any, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json()
        rows.extend(body["rows"])
        next_url = body["next"]
    return rows


def _jsonl(client: Any, url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def _data() -> Any:
    first = await manual_album(title='=HYPERLINK("http://evil")', tracks=tracklist(5))
    second = await manual_album(title="<b>Second</b>", artist="Other", tracks=tracklist(3))
    await update_album(first.id, {"title": "First, again"}, expected_version=1)
    return first, second


@pytest.mark.parametrize(
    "query",
    [
        "",
        "entity_type=TRACK",
        "category=CORRECTED&category=LINKED",
        "q=second",
        "entity_type=ALBUM&status=SUCCESS",
    ],
)
async def test_an_export_holds_exactly_the_rows_the_api_pages_through(
    client: Any, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    monkeypatch.setattr(export, "BATCH", 3)  # several batches (keyset pages on SQLite, fetches on Postgres)
    await _data()
    expected = _api_rows(client, f"/api/logs?{query}&limit=2")
    got = _jsonl(client, f"/api/logs/export?{query}&format=jsonl")
    assert got == expected and len(got) > 0


async def test_a_job_filter_exports_the_jobs_tree(client: Any) -> None:
    first, _ = await _data()
    job = _api_rows(client, f"/api/chain/ALBUM/{first.id}?category=CREATED")[0]["job_id"]
    got = _jsonl(client, f"/api/logs/export?job={job}&format=jsonl")
    assert got == _api_rows(client, f"/api/logs?job={job}") and len(got) == 7  # album, artist, 5 tracks


async def test_a_chain_export_is_the_chain_oldest_first(client: Any) -> None:
    first, _ = await _data()
    got = _jsonl(client, f"/api/chain/ALBUM/{first.id}/export?format=jsonl")
    assert got == _api_rows(client, f"/api/chain/ALBUM/{first.id}?limit=3")
    assert [r["id"] for r in got] == sorted(r["id"] for r in got)


async def test_csv_opens_in_a_spreadsheet_as_text(client: Any) -> None:
    await _data()
    response = client.get("/api/logs/export?format=csv&bom=1&entity_type=ALBUM")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    api = _api_rows(client, "/api/logs?entity_type=ALBUM")
    assert [int(r["id"]) for r in rows] == [r["id"] for r in api]
    labels = {r["entity_label"] for r in rows}
    assert '\'=HYPERLINK("http://evil")' in labels  # a formula defused, shown as text
    assert "<b>Second</b>" in labels
    created = next(r for r in rows if r["category"] == "CREATED")
    assert json.loads(created["sources"]) == ["USER"]
    corrected = next(r for r in rows if r["category"] == "CORRECTED")
    assert json.loads(corrected["changes"])["title"]["after"] == "First, again"
    assert not client.get("/api/logs/export?format=csv").content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "format"),
        ("format=xlsx", "format"),
        ("format=csv&bom=maybe", "bom"),
        ("format=csv&category=NOPE", "category"),
    ],
)
async def test_bad_export_parameters_are_a_400_naming_them(client: Any, query: str, name: str) -> None:
    response = client.get(f"/api/logs/export?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{name}:")


async def test_every_export_is_a_job_with_the_user_filters_and_row_count(client: Any) -> None:
    await _data()
    rows = _jsonl(client, "/api/logs/export?format=jsonl&entity_type=TRACK")
    (job,) = await Job.select().where(Job.kind == "export").output(load_json=True)
    assert job["status"] == "succeeded" and job["username"] == "admin" and job["user_id"] is not None
    assert job["summary"] == {"rows": len(rows)} and job["progress_done"] == 8  # 5 + 3 tracks
    assert job["kwargs"]["filters"] == "entity_type=TRACK" and job["kwargs"]["format"] == "jsonl"


async def test_the_logs_page_offers_an_export_of_its_filter(client: Any) -> None:
    await _data()
    html = client.get("/logs?entity_type=TRACK&q=x").text
    links = _Links()
    links.feed(html)
    assert links.hrefs["export-csv"] == "/api/logs/export?entity_type=TRACK&q=x&format=csv&bom=1"
    assert links.hrefs["export-jsonl"] == "/api/logs/export?entity_type=TRACK&q=x&format=jsonl"


@pytest.mark.skipif(TEST_DB != "postgres", reason="Postgres writes the CSV itself (COPY)")
async def test_postgres_csv_is_sent_in_pieces_of_the_send_size_whatever_copys_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await engine().run_ddl(
        "INSERT INTO llama_log (entity_type, category, operation, status, reason) "
        "SELECT 'ALBUM', 'CREATED', 'album:created:test', 'SUCCESS', repeat('x', 300) "
        "FROM generate_series(1, 3000)"
    )  # about 1.3 MB of CSV: many COPY chunks

    async def pieces() -> list[bytes]:
        return [p async for p in export.postgres_csv(LogFilter(), export.ExportCount(), bom=False)]

    monkeypatch.setattr(export, "_SEND_BYTES", 1)  # each COPY chunk sent as it comes
    chunks = await pieces()
    monkeypatch.setattr(export, "_SEND_BYTES", 200_000)
    sent = await pieces()
    assert b"".join(sent) == b"".join(chunks) and len(chunks) > 2 * len(sent) > 2
    assert all(len(p) >= 200_000 for p in sent[:-1]) and 0 < len(sent[-1]) < 200_000 + max(map(len, chunks))
