"""`llama audit`: 0 problems on the demo's data (the real jobs), the imported sample's orphans by cause,
each broken promise found by its named check; exit 1 on problems, --json."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.catalog.tables import Album, Track
from app.catalog.tracks import delete_track
from app.cli import main
from app.db import engine
from app.demo.command import run_seed_jobs
from app.llamalog.audit import CHECKS, AuditReport, audit
from app.llamalog.legacy_import import import_log
from tests.conftest import TEST_DB
from tests.factories import manual_album, tracklist
from tests.html_query import html
from tests.jobs.harness import worker_fixture

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
worker = worker_fixture("sync", "enrichment", "covers")


def _counts(report: AuditReport) -> dict[str, int]:
    return {c.name: c.count for c in report.checks}


async def test_the_demo_data_has_no_problem(upstream: Any, worker: Any) -> None:
    worker.start()
    await run_seed_jobs(out=lambda line: None)
    created = await manual_album(title="By hand", tracks=tracklist(3))
    await update_album(created.id, {"title": "By hand, fixed"}, expected_version=1)
    track = await Track.select(Track.id).where(Track.album == created.id).first()
    assert track is not None
    await delete_track(track["id"])  # a deletion on the record is not an entity "gone"
    report = await audit()
    assert report.problems == 0, [c for c in report.checks if c.count]
    expected = [c.name for c in CHECKS] + (["default_partition"] if TEST_DB == "postgres" else [])
    assert [c.name for c in report.checks] == expected


async def test_the_imported_samples_orphans_are_listed_by_cause() -> None:
    await import_log(LEGACY / "enrichment_log.csv")
    expected = json.loads((LEGACY / "expected.json").read_text())
    counts = _counts(await audit())
    assert counts["orphan_no_job_id"] == expected["rows_without_any_job_id"]
    assert counts["orphan_parent_loop"] == expected["rows_in_a_parent_loop"]
    assert counts["orphan_too_deep"] == expected["rows_deeper_than_10_levels"]
    assert counts["orphan_root_unset"] == 0
    assert counts["root_mismatch"] == 0
    assert counts["imported_not_in_catalog"] > 0  # information: no entity map was given


async def test_each_broken_promise_is_found_by_its_check() -> None:
    created = await manual_album(title="Whole", tracks=tracklist(2))
    assert (await audit()).problems == 0
    db = engine()
    # An album written around the services: no CREATED row.
    await Album.insert(Album(title="Smuggled", version=1))
    # A track removed behind the log's back: its rows point at nothing.
    track = await Track.select(Track.id).where(Track.album == created.id).first()
    assert track is not None
    await db.run_querystring(_raw("DELETE FROM track_artist WHERE track = {}", track["id"]))
    await db.run_querystring(_raw("DELETE FROM track WHERE id = {}", track["id"]))
    # A row whose parent job is nowhere, and one whose root is not its parent's.
    await db.run_querystring(_raw("UPDATE llama_log SET parent_job_id = {} WHERE id = 2", uuid.uuid4()))
    await db.run_querystring(_raw("UPDATE llama_log SET root_job_id = {} WHERE id = 3", uuid.uuid4()))
    report = await audit()
    counts = _counts(report)
    assert counts["album_without_created"] == 1
    assert counts["track_gone"] == 1
    assert counts["parent_missing"] == 1
    assert counts["root_mismatch"] == 1
    assert report.problems == 4
    found = {c.name: c.samples for c in report.checks}
    assert found["parent_missing"] == [2] and found["root_mismatch"] == [3]


def _raw(sql: str, *values: Any) -> Any:
    from piccolo.querystring import QueryString

    return QueryString(sql, *values)


def test_the_command_exits_nonzero_on_problems_and_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 0
    assert "problems: 0" in capsys.readouterr().out
    import asyncio

    asyncio.run(import_log(LEGACY / "enrichment_log.jsonl"))
    assert main(["audit", "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    loop = next(c for c in body["checks"] if c["name"] == "orphan_parent_loop")
    assert body["problems"] > 0 and loop["count"] == 4 and loop["samples"]


async def test_the_dashboard_tile_shows_the_audit(client: Any) -> None:
    await import_log(LEGACY / "enrichment_log.csv")
    loader = html(client.get("/")).one('section[aria-labelledby="audit-h"] [hx-get="/audit"]')
    assert loader.get("hx-trigger") == "load"
    fragment = html(client.get("/audit", headers={"hx-request": "true"}))
    assert [element.tag for element in fragment.all("body > *")] == ["div"]  # the tile alone, no page
    tile = fragment.one("body > div.audit-tile#audit-tile")
    total = tile.one("p.audit-total")
    assert "bad" in total.classes and int(total.text_of("strong")) > 0 and total.text.endswith(" problems")
    assert int(tile.one('tr.audit-check.failing[data-check="orphan_parent_loop"]').text_of("td.count")) > 0
    page = html(client.get("/audit"))
    assert page.text("main h1") == "Provenance audit" and page.count("div.audit-tile") == 1
