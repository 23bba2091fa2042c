"""`llama import-log` on the shared legacy sample: the report, idempotency, ids kept, the chain."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.jobs.tables import Job
from app.llamalog.chain import chain
from app.llamalog.legacy_import import SYSTEM, StrictRefusal, import_log, load_entity_map
from app.llamalog.legacy_rules import find_root, legacy_category
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.html_query import html

# A copy of the shared sample (fixtures/legacy/README.md says what it holds and the rules).
LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
EXPECTED = json.loads((LEGACY / "expected.json").read_text())


def _legacy_rows() -> list[dict[str, Any]]:
    with (LEGACY / "enrichment_log.jsonl").open() as handle:
        return [json.loads(line) for line in handle]


async def _imported(legacy_id: str) -> dict[str, Any]:
    query = LlamaLog.select().where(LlamaLog.import_key == f"{SYSTEM}:{legacy_id}")
    row = await query.output(load_json=True).first()
    assert row is not None, legacy_id
    return row


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    metadata = row["metadata"]
    return {**row, "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata}


def _an_enrichment_with_track_rows() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """From the file: an album enrichment whose job has track rows as children."""
    rows = _legacy_rows()
    for row in rows:
        if row["entityType"] == "ALBUM" and row["operation"].startswith("enrichment:"):
            tracks = [r for r in rows if r["parentJobId"] == row["jobId"] and r["entityType"] == "TRACK"]
            if len(tracks) >= 2:
                return row, tracks
    raise AssertionError("the sample has no enrichment with track rows")


@pytest.mark.parametrize("name", ["enrichment_log.csv", "enrichment_log.jsonl"])
async def test_dry_run_reports_the_expected_counts_and_writes_nothing(name: str) -> None:
    before_log, before_jobs = await LlamaLog.count(), await Job.count()
    report = await import_log(LEGACY / name, dry_run=True)
    assert report.counts() == EXPECTED
    assert report.unreadable == []
    assert (await LlamaLog.count(), await Job.count()) == (before_log, before_jobs)


@pytest.mark.parametrize("name", ["enrichment_log.csv", "enrichment_log.jsonl"])
async def test_import_writes_every_row_once_and_a_second_import_adds_nothing(name: str) -> None:
    report = await import_log(LEGACY / name, username="tester")
    assert report.counts() == EXPECTED
    assert (report.added, report.already_there) == (EXPECTED["rows"], 0)
    imported = LlamaLog.import_key.is_not_null()
    assert await LlamaLog.count().where(imported) == EXPECTED["rows"]
    for category, n in EXPECTED["categories"].items():
        assert await LlamaLog.count().where(imported, LlamaLog.category == category) == n, category
    assert await LlamaLog.count().where(imported, LlamaLog.is_root_job.eq(True)) == EXPECTED["root_rows"]
    assert (
        await LlamaLog.count().where(imported, LlamaLog.root_job_id.is_null())
        == EXPECTED["rows_whose_root_is_unknown"]
    )
    job = await Job.select().where(Job.job_id == report.job_id).output(load_json=True).first()
    assert job is not None and job["kind"] == "import-log" and job["username"] == "tester"
    assert job["summary"]["added"] == EXPECTED["rows"] and job["args"] == [str(LEGACY / name)]

    again = await import_log(LEGACY / name)
    assert (again.added, again.already_there) == (0, EXPECTED["rows"])
    assert await LlamaLog.count().where(imported) == EXPECTED["rows"]


async def test_the_csv_and_the_jsonl_are_the_same_rows() -> None:
    await import_log(LEGACY / "enrichment_log.csv")
    again = await import_log(LEGACY / "enrichment_log.jsonl")
    assert (again.added, again.already_there) == (0, EXPECTED["rows"])


async def test_every_original_id_is_kept_and_ids_are_stable_uuids() -> None:
    await import_log(LEGACY / "enrichment_log.jsonl")
    rows = _legacy_rows()
    by_user = next(r for r in rows if r["userId"])
    user_row = await _imported(by_user["id"])
    assert user_row["metadata"]["legacy"]["user_id"] == by_user["userId"]
    original = next(r for r in rows if r["parentJobId"] and r["jobId"] and r["albumId"])
    row = await _imported(original["id"])
    legacy = row["metadata"]["legacy"]
    for key, column in (
        ("id", "id"),
        ("entityId", "entity_id"),
        ("albumId", "album_id"),
        ("jobId", "job_id"),
        ("parentJobId", "parent_job_id"),
        ("operation", "operation"),
    ):
        assert legacy[column] == original[key], key
    assert legacy["system"] == SYSTEM and legacy["metadata"] == original["metadata"]
    assert isinstance(row["entity_id"], uuid.UUID) and isinstance(row["job_id"], uuid.UUID)
    await LlamaLog.delete(force=True)
    await import_log(LEGACY / "enrichment_log.csv")
    again = await _imported(original["id"])
    for column in ("entity_id", "album_id", "job_id", "parent_job_id", "root_job_id"):
        assert again[column] == row[column], column


async def test_an_imported_enrichment_has_its_track_rows_under_it_in_the_album_chain() -> None:
    enrichment, tracks = _an_enrichment_with_track_rows()
    await import_log(LEGACY / "enrichment_log.csv")
    parent = await _imported(enrichment["id"])
    page = await chain("ALBUM", parent["album_id"], limit=500)
    page.rows[:] = [_loaded(r) for r in page.rows]
    ids = [r["id"] for r in page.rows]
    children = [r for r in page.rows if r["metadata"]["legacy"]["id"] in {t["id"] for t in tracks}]
    assert len(children) == len(tracks)
    assert all(c["root_job_id"] == parent["root_job_id"] == parent["job_id"] for c in children)
    assert all(c["parent_job_id"] == parent["job_id"] for c in children)
    assert all(ids.index(c["id"]) > ids.index(parent["id"]) for c in children)


async def test_with_an_entity_map_the_rows_join_the_catalogs_own_album(tmp_path: Path) -> None:
    enrichment, tracks = _an_enrichment_with_track_rows()
    album = await manual_album(title="Known here already", artist="Someone")
    entity_map = tmp_path / "map.json"
    entity_map.write_text(json.dumps({enrichment["albumId"]: str(album.id)}))
    await import_log(LEGACY / "enrichment_log.jsonl", entity_map=load_entity_map(entity_map))
    page = await chain("ALBUM", album.id, limit=500)
    page.rows[:] = [_loaded(r) for r in page.rows]
    imported = [r for r in page.rows if r["metadata"] and "legacy" in r["metadata"]]
    assert {enrichment["id"], *(t["id"] for t in tracks)} <= {r["metadata"]["legacy"]["id"] for r in imported}
    assert len(imported) < len(page.rows)  # the album's own rows, written by this app, are there too


def test_dry_run_on_the_command_line_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-log", str(LEGACY / "enrichment_log.csv"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"rows read: {EXPECTED['rows']}" in out
    assert f"in a parent loop       {EXPECTED['rows_in_a_parent_loop']}" in out
    assert "dry run: nothing written" in out


async def test_bad_rows_are_reported_with_their_line_and_strict_refuses_the_file(tmp_path: Path) -> None:
    lines = (LEGACY / "enrichment_log.jsonl").read_text().splitlines()[:5]
    bad = json.loads(lines[2])
    bad["createdAt"] = "yesterday"
    unknown = json.loads(lines[3])
    unknown["sources"] = ["LASTFM", "SPOTIFY"]
    unknown["operation"] = "album:" + "x" * 300 + ":enrichment"
    path = tmp_path / "some.jsonl"
    path.write_text("\n".join([lines[0], "{not json", json.dumps(bad), json.dumps(unknown), lines[4]]) + "\n")
    report = await import_log(path)
    assert [line for line, _ in report.unreadable] == [2, 3]
    assert report.added == 3
    assert report.kept_in_metadata == {"sources": 1, "operation": 1}
    row = await _imported(unknown["id"])
    assert row["sources"] == ["SPOTIFY"] and row["metadata"]["legacy"]["sources"] == ["LASTFM", "SPOTIFY"]
    assert row["metadata"]["legacy"]["operation"] == unknown["operation"]
    await LlamaLog.delete(force=True)
    with pytest.raises(StrictRefusal):
        await import_log(path, strict=True)
    assert await LlamaLog.count() == 0


def test_category_rules_in_order() -> None:
    assert legacy_category("MANUAL_CREATE", "FAILED") == "FAILED"
    assert legacy_category("MANUAL_UPDATE", "SUCCESS") == "CORRECTED"
    assert legacy_category("cache:album-cover", "SUCCESS") == "CACHED"
    assert legacy_category("enrichment:spotify", "NO_DATA_AVAILABLE") == "ENRICHED"
    assert legacy_category("artist:linked:enrichment", "SUCCESS") == "LINKED"
    assert legacy_category("track:failed:enrichment", "SUCCESS") == "FAILED"
    assert legacy_category("musicbrainz-sync:album", "SUCCESS") == "CREATED"


def test_roots_follow_parents_and_never_guess() -> None:
    assert find_root("c", {"c": "b", "b": "a"}) == "a"
    assert find_root("a", {"a": "b", "b": "a"}) == "loop"
    chain11 = {str(i): str(i + 1) for i in range(11)}
    assert find_root("0", chain11) == "deeper_than_10"
    assert find_root("1", chain11) == "11"


async def test_imported_rows_carry_an_imported_badge_in_the_log_table(client: Any, tmp_path: Path) -> None:
    lines = (LEGACY / "enrichment_log.jsonl").read_text().splitlines()[:3]
    path = tmp_path / "three.jsonl"
    path.write_text("\n".join(lines) + "\n")
    await import_log(path)
    await manual_album(title="Written here")
    page = html(client.get("/logs"))
    badges = page.all("#log-rows td.op .pill.imported")
    assert len(badges) == 3 and all(
        b.text == "imported" and b["title"] == f"imported from {SYSTEM}" for b in badges
    )
    assert page.count("#log-rows tr.log-row") == 5  # the 3 imported rows, the album's and its artist's


async def test_unreadable_csv_rows_are_reported_by_their_line_in_the_file(tmp_path: Path) -> None:
    header, first, second, third = (LEGACY / "enrichment_log.csv").read_text().splitlines()[:4]
    quoted_newline = first.replace(",,,0,", ',"a message\nover two lines",,0,', 1)
    short = second.rsplit(",", 3)[0]
    path = tmp_path / "some.csv"
    path.write_text("\n".join([header, quoted_newline, short, third.replace("+00", " yesterday")]) + "\n")
    report = await import_log(path, dry_run=True)
    # The first row spans lines 2-3 (a quoted newline), so the short row is on line 4.
    assert [line for line, _ in report.unreadable] == [4, 5]
    assert report.unreadable[0][1] == "wrong number of fields" and "timestamp" in report.unreadable[1][1]
    assert report.rows == 1
