"""New-release syncs against the local fake upstream: import once, skip the second time."""

from __future__ import annotations

from typing import Any

from app.catalog.sync import sync_spotify
from app.catalog.tables import Album, Track
from app.demo.fake_upstream import Fault
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog


async def test_spotify_sync_imports_albums_as_root_rows_and_is_idempotent(upstream: Any) -> None:
    ctx = JobContext.new_root(triggered_by="scheduled")
    with job_scope(ctx):
        first = await sync_spotify()
    assert first.seen >= 2 and len(first.created) == first.seen and first.failed == 0
    albums = await Album.select(Album.id, Album.spotify_id, Album.source)
    assert len(albums) == first.seen and all(a["source"] == "SPOTIFY" for a in albums)
    album_rows = await LlamaLog.select().where(LlamaLog.operation == "album:created:spotify-sync")
    assert len(album_rows) == first.seen
    for row in album_rows:
        assert row["is_root_job"] is True and row["user_id"] is None
        assert str(row["job_id"]) == ctx.job_id == str(row["root_job_id"])
    track_rows = await LlamaLog.count().where(LlamaLog.operation == "track:created:spotify-sync")
    assert track_rows == await Track.count() > 0

    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        second = await sync_spotify()
    assert second.created == [] and second.skipped == first.seen
    assert await Album.count() == first.seen
    assert await LlamaLog.count().where(LlamaLog.operation == "album:created:spotify-sync") == first.seen


async def test_an_album_failing_upstream_is_a_failed_row_and_no_partial_album(upstream: Any) -> None:
    upstream.script("/v1/albums/", always=Fault(status=503))
    with job_scope(JobContext.new_root()):
        result = await sync_spotify()
    assert result.created == [] and result.failed == result.seen > 0
    assert await Album.count() == 0 and await Track.count() == 0
    failed = await LlamaLog.select().where(LlamaLog.category == "FAILED")
    assert len(failed) == result.seen
    assert {r["error_code"] for r in failed} == {"UPSTREAM_503"}
    assert all(r["retry_count"] >= 1 for r in failed)
