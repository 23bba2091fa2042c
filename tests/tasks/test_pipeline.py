"""The real actors end to end: sync → enrichment → cover, one job tree; failures end in FAILED rows."""

from __future__ import annotations

from typing import Any

import pytest

import tasks.actors as actors
from app.catalog.tables import Album, Track
from app.demo.fake_upstream import Fault
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.factories import job_album
from tests.jobs.harness import worker_fixture

worker = worker_fixture("sync", "enrichment", "covers")

FAST_RETRIES = {"min_backoff": 10, "max_backoff": 50}


async def test_sync_enrichment_and_cover_form_one_job_tree(upstream: Any, worker: Any) -> None:
    message = actors.sync_spotify.send_with_options(args=(), triggered_by="scheduled")
    await worker.drain()
    root = message.message_id
    sync_job = await Job.select().where(Job.job_id == root).first()
    assert sync_job["status"] == "succeeded"
    assert sync_job["albums_created"] > 0
    assert sync_job["progress_done"] == sync_job["progress_total"] > 0

    jobs = await Job.select().where(Job.root_job_id == root)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        by_kind.setdefault(job["kind"], []).append(job)
    assert len(by_kind["enrich_album"]) == sync_job["albums_created"]
    assert all(str(j["parent_job_id"]) == root for j in by_kind["enrich_album"])
    enrich_ids = {str(j["job_id"]) for j in by_kind["enrich_album"]}
    assert by_kind.get("cache_cover"), "enrichment queues the cover"
    assert all(str(j["parent_job_id"]) in enrich_ids for j in by_kind["cache_cover"])
    assert [str(j["parent_job_id"]) for j in by_kind["refresh_fix_queue"]] == [root], "the fix queue follows"
    assert {j["status"] for j in jobs} == {"succeeded"}

    rows = await LlamaLog.select().where(LlamaLog.root_job_id == root)
    created = [r for r in rows if r["operation"] == "album:created:spotify-sync"]
    assert len(created) == sync_job["albums_created"]
    assert all(r["is_root_job"] and r["user_id"] is None and str(r["job_id"]) == root for r in created)
    enriched = [r for r in rows if r["operation"] == "album:enriched:musicbrainz"]
    assert {str(r["job_id"]) for r in enriched} <= enrich_ids
    assert all(r["is_root_job"] is False for r in enriched)
    track_rows = [r for r in rows if r["entity_type"] == "TRACK" and r["category"] == "CREATED"]
    assert len(track_rows) == await Track.count()  # one row per track, every track in the tree

    again = actors.sync_spotify.send()
    await worker.drain()
    second = await Job.select().where(Job.job_id == again.message_id).first()
    assert second["status"] == "succeeded"
    assert second["albums_created"] == 0
    assert second["albums_skipped"] == await Album.count() == sync_job["albums_created"]


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=503),
        Fault(status=429, retry_after="0"),
        Fault(body="truncated"),
        Fault(body="malformed"),
        Fault(delay=3.0),
        Fault(status=404),
    ],
    ids=["503", "429", "truncated", "malformed", "timeout", "404"],
)
async def test_enrichment_that_keeps_failing_ends_in_one_failed_row(
    upstream: Any, worker: Any, fault: Fault
) -> None:
    created, _ = await job_album(title="Kat Moda", artist="Jeff Mills")
    upstream.script("/ws/2/", always=fault)
    message = actors.enrich_album.send_with_options(args=(str(created.id),), **FAST_RETRIES)
    await worker.drain(fail_fast=False)
    job = await Job.select().where(Job.job_id == message.message_id).first()
    assert job["status"] == "failed"
    failed = await LlamaLog.select().where(
        (LlamaLog.category == "FAILED") & (LlamaLog.operation == "album:failed:enrichment")
    )
    assert len(failed) == 1
    row = failed[0]
    assert row["entity_id"] == created.id and row["error_code"] and row["error_message"]
    retryable = fault.status != 404 and fault.body is None
    assert row["retry_count"] == (3 if retryable else 0)
    album = await Album.select().where(Album.id == created.id).first()
    assert album["enrichment_status"] == "FAILED"
    assert album["tracks_present"] == 0 and await Track.count() == 0  # nothing half-written
