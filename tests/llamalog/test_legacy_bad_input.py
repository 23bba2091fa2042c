"""Bad legacy input never crashes an import: a truncated file, a wrong column set, NUL bytes, a
20,000-character message are reported per line or kept; HTML in metadata is escaped on every page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.llamalog.legacy_import import StrictRefusal, import_log
from app.llamalog.tables import LlamaLog

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _sample(n: int) -> list[dict[str, Any]]:
    with (LEGACY / "enrichment_log.jsonl").open() as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


async def test_a_truncated_csv_keeps_the_whole_rows_and_reports_the_cut_one(tmp_path: Path) -> None:
    text = (LEGACY / "enrichment_log.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)[:21]
    cut = tmp_path / "cut.csv"
    cut.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 3], encoding="utf-8")
    report = await import_log(cut)
    assert report.added == 19 and [line for line, _ in report.unreadable] == [21]
    try:
        await import_log(cut, strict=True)
        raise AssertionError("--strict must refuse a truncated file")
    except StrictRefusal:
        pass


async def test_a_wrong_column_set_is_reported_per_line(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,value\nA,1\nB,2\n", encoding="utf-8")
    report = await import_log(wrong, dry_run=True)
    assert report.rows == 0 and [line for line, _ in report.unreadable] == [2, 3]
    assert "no id" in report.unreadable[0][1]


async def test_nul_bytes_and_a_20000_character_message_are_kept_without_a_crash(tmp_path: Path) -> None:
    rows = _sample(3)
    rows[0]["errorMessage"] = "boom\x00" + "x" * 20_000
    rows[1]["metadata"] = {"title": "A\x00B", "note": "é" * 20_000}
    rows[2]["operation"] = "album:enriched:\x00musicbrainz"
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = await import_log(path)
    assert report.added + len(report.unreadable) == 3 and report.added >= 2
    stored = await LlamaLog.select(LlamaLog.error_message, LlamaLog.entity_label, LlamaLog.metadata).output(
        load_json=True
    )
    assert all("\x00" not in (r["error_message"] or "") + (r["entity_label"] or "") for r in stored)
    assert any(r["error_message"] and r["error_message"].startswith("boom") for r in stored)


async def test_html_in_metadata_is_escaped_on_every_page(client: Any, tmp_path: Path) -> None:
    rows = _sample(5)
    for row in rows:
        row["metadata"] = {"title": HOSTILE, "html": HOSTILE}
        row["errorMessage"] = HOSTILE
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert (await import_log(path)).added == 5
    first = await LlamaLog.select(LlamaLog.id, LlamaLog.album_id).first()
    assert first is not None
    pages = [
        "/logs",
        f"/logs?expand={first['id']}",
        f"/timeline/album/{first['album_id']}",
        "/audit",
        "/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.text and "<img src=x" not in response.text, url
    api = client.get("/api/logs").text
    assert "<script>" not in api and "\\u003cscript\\u003e" in api
    export = client.get("/api/logs/export?format=jsonl").text
    assert "<script>" not in export
    assert json.loads(export.splitlines()[0])["metadata"]["legacy"]["metadata"]["title"] == HOSTILE


async def test_a_row_twice_in_a_file_is_written_once_and_a_row_of_long_ago_lands(tmp_path: Path) -> None:
    first, second, third = _sample(3)
    ancient = {**third, "createdAt": "1950-06-01T12:00:00.000Z"}  # older than any month partition made
    path = tmp_path / "twice.jsonl"
    lines = (json.dumps(row) + "\n" for row in (first, second, first, ancient))
    path.write_text("".join(lines), encoding="utf-8")
    report = await import_log(path)
    assert (report.rows, report.added) == (4, 3)
    keys = [f"enrichment_log:{row['id']}" for row in (first, second, third)]
    query = LlamaLog.select(LlamaLog.import_key, LlamaLog.created_at)
    rows = await query.where(LlamaLog.import_key.is_in(keys))
    assert sorted(r["import_key"] for r in rows) == sorted(keys)
    assert [r["created_at"].year for r in rows if r["import_key"] == keys[2]] == [1950]
    assert (await import_log(path)).added == 0
