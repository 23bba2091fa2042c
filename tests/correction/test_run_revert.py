"""Undo a whole run (a sync, a retried sync under a failed one, a bulk apply, an enrichment): what it
created removed, what it changed given back, hand edits since kept as conflicts, all on the record."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from app.catalog import enrich
from app.catalog.albums import update_album
from app.catalog.tables import Album, AlbumArtist, Artist, Track, TrackArtist
from app.correction import lookup
from app.correction.bulk import preview_batch, start_batch
from app.correction.matching import Matching
from app.correction.rescore import save_and_rescore
from app.correction.run_changes import run_changes, run_rows
from app.correction.run_revert import start_revert
from app.demo.fake_upstream import Fault
from app.jobs.launch import enqueue
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.correction.test_prefetch import seeded
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


# What a revert must give back: every column but the bookkeeping a write moves on (and enrichment's
# own status stamps), and every track with its columns.
_ALBUM_BOOKKEEPING = {"version", "updated_at", "enrichment_status", "last_enriched_at"}
_TRACK_BOOKKEEPING = {"version", "updated_at", "created_at"}


async def album_state(album_id: uuid.UUID) -> dict[str, Any]:
    album = await Album.select().where(Album.id == album_id).first()
    assert album is not None
    tracks = await Track.select().where(Track.album == album_id)
    credited = AlbumArtist.select(AlbumArtist.artist).where(AlbumArtist.album == album_id)
    artists = await Artist.select(Artist.name, Artist.musicbrainz_id, Artist.sort_name).where(
        Artist.id.is_in(credited)
    )
    return {
        "album": {k: v for k, v in album.items() if k not in _ALBUM_BOOKKEEPING},
        "artists": sorted(artists, key=lambda a: a["name"]),
        "tracks": sorted(
            ({k: v for k, v in t.items() if k not in _TRACK_BOOKKEEPING} for t in tracks),
            key=lambda t: (t["disc_number"], t["track_number"], t["title"]),
        ),
    }


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    meta = row["metadata"]
    return (json.loads(meta) if isinstance(meta, str) else meta) or {}


async def _bulk_apply(worker: Any) -> tuple[str, dict[uuid.UUID, dict[str, Any]]]:
    """The demo's fix queue bulk-applied (strong from 60 up: four albums, fields and tracks taken);
    the run's id and each album's state just before it."""
    broken = await seeded(worker)
    await save_and_rescore(Matching(strong_threshold=60), user_id=None, username="admin")
    preview = await preview_batch(list(broken.values()))
    assert len(preview.albums) >= 3 and sum(bool(a.take_tracks) for a in preview.albums) >= 2
    before = {a.album_id: await album_state(a.album_id) for a in preview.albums}
    job_id = await start_batch(
        [(a.album_id, a.version) for a in preview.albums], user_id=None, username="admin"
    )
    await worker.drain()
    job = await wait_until(lambda: job_in(job_id, "succeeded"), what="bulk apply")
    assert job["albums_updated"] == len(before)
    return job_id, before


async def test_a_bulk_apply_undone_gives_every_album_its_fields_and_tracks_back(
    upstream: Any, worker: Any
) -> None:
    run_id, before = await _bulk_apply(worker)
    applied_state = {album_id: await album_state(album_id) for album_id in before}
    assert all(applied_state[a] != state for a, state in before.items())
    assert sum(len(applied_state[a]["tracks"]) - len(s["tracks"]) for a, s in before.items()) >= 2

    revert = await _revert(worker, run_id)
    assert revert["conflicts"] == [] and revert["albums_restored"] == len(before)
    assert revert["albums_removed"] == 0
    for album_id, state in before.items():
        assert await album_state(album_id) == state
    # The revert is a job of its own, one child per album; its rows name the rows they undo.
    rows = await LlamaLog.select().where(LlamaLog.root_job_id == revert["job_id"])
    children = await Job.select().where(Job.parent_job_id == revert["job_id"])
    assert sorted(c["kind"] for c in children) == ["revert_run_album"] * len(before)
    album_rows = [r for r in rows if r["operation"] == "album:reverted:admin"]
    assert sorted(r["entity_id"] for r in album_rows) == sorted(before)
    assert {r["job_id"] for r in album_rows} == {c["job_id"] for c in children}
    assert all(_meta(r)["reverted_job"] == run_id for r in album_rows)
    applied = {
        r["id"]
        for r in await LlamaLog.select(LlamaLog.id).where(
            (LlamaLog.root_job_id == run_id)
            & LlamaLog.entity_type.is_in(["ALBUM", "TRACK"])
            & (LlamaLog.status == "SUCCESS")
        )
    }
    assert any(r["entity_type"] == "TRACK" for r in rows)
    assert set().union(*(_meta(r)["reverts"] for r in album_rows)) == applied
    track_rows = [r for r in rows if r["entity_type"] == "TRACK"]
    assert {_meta(r)["reverts"] for r in track_rows} <= applied


async def test_a_bulk_apply_album_edited_by_hand_since_is_the_one_listed_conflict(
    upstream: Any, worker: Any
) -> None:
    run_id, before = await _bulk_apply(worker)
    edited_id = sorted(before)[0]
    edited = await Album.select(Album.title, Album.version).where(Album.id == edited_id).first()
    assert edited is not None
    await update_album(edited_id, {"label": "Fixed by hand"}, expected_version=edited["version"])
    kept = await album_state(edited_id)

    revert = await _revert(worker, run_id)
    assert len(revert["conflicts"]) == 1
    assert edited["title"] in revert["conflicts"][0] and "skipped" in revert["conflicts"][0]
    assert revert["albums_restored"] == len(before) - 1
    assert await album_state(edited_id) == kept
    for album_id, state in before.items():
        if album_id != edited_id:
            assert await album_state(album_id) == state


async def test_an_enrichment_under_a_sync_undone_gives_the_album_back_cover_included(
    upstream: Any, worker: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    found: dict[uuid.UUID, dict[str, Any]] = {}  # each album as its enrichment found it
    enrich_album = enrich.enrich_album

    async def enrich_seen(album_id: uuid.UUID) -> Any:
        found.setdefault(album_id, await album_state(album_id))
        return await enrich_album(album_id)

    monkeypatch.setattr(enrich, "enrich_album", enrich_seen)
    sync_id = await _sync(worker)
    album = await Album.select(Album.id).where(Album.title == "Kat Moda").first()
    assert album is not None
    album_id = album["id"]
    row = (
        await LlamaLog.select()
        .where((LlamaLog.entity_id == album_id) & (LlamaLog.operation == "album:enriched:musicbrainz"))
        .first()
    )
    assert row is not None and str(row["parent_job_id"]) == sync_id
    run_id = row["job_id"]
    # The enrichment changed fields, added tracks, and its cover job (under it) set the cover.
    cover = (
        await LlamaLog.select()
        .where((LlamaLog.album_id == album_id) & (LlamaLog.operation == "album:cached:cover-art"))
        .first()
    )
    assert cover is not None and cover["parent_job_id"] == run_id and "cover_art_url" in cover["changes"]
    cover_job = await Job.select(Job.kind).where(Job.job_id == cover["job_id"]).first()
    assert cover_job == {"kind": "cache_cover"}
    changes = await run_changes(run_id)
    assert [a.album_id for a in changes.albums] == [album_id]
    entry = changes.albums[0]
    assert {"release_date", "cover_art_url"} <= set(entry.fields) and len(entry.tracks_added) == 3
    assert {r["album_id"] for r in await run_rows(run_id)} == {album_id}
    html = client.get(f"/jobs/{run_id}/changes").text
    assert 'data-field="cover_art_url"' in html and "3 added" in html
    assert await album_state(album_id) != found[album_id]

    revert = await _revert(worker, str(run_id))
    assert revert["conflicts"] == [] and revert["albums_restored"] == 1
    assert await album_state(album_id) == found[album_id]


async def test_a_failed_sync_retried_under_itself_is_undone_with_its_enrichments_and_covers(
    upstream: Any, worker: Any, client: Any
) -> None:
    before = await catalog_state()
    upstream.script("/v1/browse/new-releases", Fault(body="malformed"))
    lookup.forget()
    worker.start()
    failed = await enqueue("sync_spotify", triggered_by="system")
    await worker.drain(fail_fast=False)
    await wait_until(lambda: job_in(failed, "failed"), what="the failed sync")
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    response = client.post(f"/jobs/{failed}/tree/retry", data=token, follow_redirects=False)
    assert response.status_code == 303
    retry = await Job.select().where(Job.retry_of == failed).first()
    assert retry is not None and str(retry["parent_job_id"]) == failed  # a child run of the failed sync
    run_id = str(retry["job_id"])
    await worker.drain()
    await wait_until(lambda: job_in(run_id, "succeeded"), what="the retried sync")
    # Its enrichments are its children; their covers and the tracks they added sit one level lower.
    covers = await LlamaLog.select().where(LlamaLog.operation == "album:cached:cover-art")
    assert covers and all(str(r["parent_job_id"]) != run_id for r in covers)
    changes = await run_changes(uuid.UUID(run_id))
    assert changes.albums_created == await Album.count() > 3
    assert sum("cover_art_url" in a.fields for a in changes.albums) == len(
        [r for r in covers if r["changes"]]
    )
    # Every row the retry's tree wrote: all of the failed sync's tree but the failed sync's own.
    assert changes.rows == await LlamaLog.count().where(
        (LlamaLog.root_job_id == failed) & (LlamaLog.job_id != failed) & (LlamaLog.status != "FAILED")
    )

    revert = await _revert(worker, run_id)
    assert revert["conflicts"] == [] and revert["albums_removed"] == changes.albums_created
    assert await catalog_state() == before
