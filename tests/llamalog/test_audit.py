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
from app.llamalog.audit import CHECKS, AuditReport, _filled, audit, run_check
from app.llamalog.legacy_import import import_log
from app.llamalog.tables import LlamaLog
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


# root_mismatch as it was first written (an EXISTS probe per row under an OR): the set-based check
# must find exactly these rows.
_ROOT_MISMATCH_BY_PROBE = (
    "SELECT t.id FROM llama_log t WHERE "
    "(t.is_root_job = {true} AND (t.root_job_id IS NULL OR t.root_job_id <> t.job_id)) "
    "OR (t.root_job_id IS NOT NULL AND EXISTS (SELECT 1 FROM llama_log p "
    "WHERE p.job_id = t.parent_job_id AND p.root_job_id IS NOT NULL "
    "AND p.root_job_id <> t.root_job_id)) ORDER BY t.id"
)


async def test_root_mismatch_finds_the_rows_the_per_row_probe_finds() -> None:
    def uid() -> uuid.UUID:
        return uuid.uuid4()

    a, b, c, d, e, f, g, h = (uid() for _ in range(8))
    # (job, parent, root, is_root): the tree's promises kept and broken every way the check reads.
    rows = [
        (a, None, a, True),  # a root that is its own root: fine
        (b, None, None, True),  # a root row with no root: broken
        (c, None, a, True),  # a root row whose root is another job: broken
        (d, a, a, False),  # a child with its parent's root: fine
        (e, a, c, False),  # a child whose parent's root is a, not c: broken
        (e, a, c, False),  # the same job twice: both rows broken
        (f, d, None, False),  # a child with no root: not this check's (an orphan)
        (g, uid(), b, False),  # a parent that is nowhere: not this check's (parent_missing)
        (h, b, a, False),  # a parent whose root is unset: nothing to compare with
        (None, a, a, False),  # a row with no job of its own, under a: fine
        (None, e, d, False),  # no job of its own, its parent job's root is c: broken
        (c, a, d, False),  # job c again, rooted at d under a (rooted at a): broken, c's rows disagree
        (uid(), c, a, False),  # c's rows carry a and d: one of them is not a: broken
        (uid(), c, c, True),  # broken twice over (a root row not its own root, c's rows say a too)
    ]
    for job, parent, root, is_root in rows:
        await LlamaLog.insert(
            LlamaLog(
                entity_type="ALBUM",
                category="ENRICHED",
                operation="test",
                job_id=job,
                parent_job_id=parent,
                root_job_id=root,
                is_root_job=is_root,
            )
        )
    probed = await engine().run_querystring(_raw(_filled(_ROOT_MISMATCH_BY_PROBE)))
    expected = [r["id"] for r in probed]
    check = next(c for c in CHECKS if c.name == "root_mismatch")
    found = await run_check(check)
    assert found.count == len(expected) == 8
    assert found.samples == expected[:5]
    assert (await audit()).checks[[c.name for c in CHECKS].index("root_mismatch")].count == 8
