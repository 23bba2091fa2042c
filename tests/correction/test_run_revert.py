"""Undo a whole run: a sync's albums removed, hand edits since kept as conflicts, all on the record."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.catalog.albums import update_album
from app.catalog.tables import Album, AlbumArtist, Artist, Track, TrackArtist
from app.correction import lookup
from app.correction.run_changes import run_changes
from app.correction.run_revert import start_revert
from app.jobs.launch import enqueue
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.jobs.harness import job_in, wait_until, worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")
CATALOG = (Album, Artist, Track, AlbumArtist, TrackArtist)


async def catalog_state() -> tuple[dict[str, int], str]:
    """Row counts and a checksum of every catalog table."""
    counts, digest = {}, hashlib.sha256()
    for table in CATALOG:
        rows = await table.select().order_by(table._meta.primary_key)
        counts[table._meta.tablename] = len(rows)
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return counts, digest.hexdigest()


async def _sync(worker: Any) -> str:
    lookup.forget()
    worker.start()
    job_id = await enqueue("sync_spotify", triggered_by="system")
    await worker.drain()
    await wait_until(lambda: job_in(job_id, "succeeded"), what="sync")
    return job_id


async def _revert(worker: Any, run_id: str) -> dict[str, Any]:
    import uuid

    revert_id = await start_revert(uuid.UUID(run_id), user_id=1, username="admin")
    await worker.drain()
    job = await wait_until(lambda: job_in(revert_id, "succeeded"), what="revert")
    summary = job["summary"]
    return {"job_id": revert_id, **(json.loads(summary) if isinstance(summary, str) else summary)}


async def test_a_sync_run_undone_leaves_the_catalog_as_before(upstream: Any, worker: Any) -> None:
    await manual_album(title="Already here", artist="Someone")
    before = await catalog_state()
    run_id = await _sync(worker)
    changes = await run_changes(run_id)
    assert changes.albums_created > 3 and changes.tracks_created > 10
    assert (await catalog_state())[0]["album"] > before[0]["album"]

    revert = await _revert(worker, run_id)
    assert revert["conflicts"] == [] and revert["albums_removed"] == changes.albums_created
    assert await catalog_state() == before
    rows = await LlamaLog.select().where(LlamaLog.root_job_id == revert["job_id"])
    assert {r["operation"] for r in rows} >= {
        "album:deleted:revert",
        "track:deleted:revert",
        "artist:deleted:revert",
    }
    assert all(r["user_id"] == 1 for r in rows)
    album_rows = [r for r in rows if r["operation"] == "album:deleted:revert"]
    created_ids = {
        r["id"]
        for r in await LlamaLog.select(LlamaLog.id).where(
            (LlamaLog.root_job_id == run_id)
            & (LlamaLog.category == "CREATED")
            & (LlamaLog.entity_type == "ALBUM")
        )
    }
    linked = set()
    for row in album_rows:
        meta = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
        assert meta["reverted_job"] == run_id
        linked |= set(meta["reverts"])
    assert created_ids <= linked


async def test_an_album_edited_by_hand_since_the_run_is_a_listed_conflict(upstream: Any, worker: Any) -> None:
    run_id = await _sync(worker)
    edited = await Album.select(Album.id, Album.title, Album.version).first()
    assert edited is not None
    await update_album(edited["id"], {"label": "Fixed by hand"}, expected_version=edited["version"])
    revert = await _revert(worker, run_id)
    assert len([c for c in revert["conflicts"] if edited["title"] in c]) == 1
    assert "skipped" in revert["conflicts"][0]
    kept = await Album.select(Album.label).where(Album.id == edited["id"]).first()
    assert kept is not None and kept["label"] == "Fixed by hand"
    assert await Album.count() == 1
