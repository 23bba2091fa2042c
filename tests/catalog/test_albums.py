"""Catalog services write the catalog and its LlamaLog rows together."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.catalog.albums import VersionConflict, update_album
from app.catalog.artists import find_or_create_artist
from app.catalog.records import ArtistInput, TrackInput
from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.catalog.tracks import create_tracks
from app.catalog.validation import ValidationError
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.factories import job_album, manual_album, tracklist


async def rows(**where: object) -> list[dict]:
    query = LlamaLog.select().order_by(LlamaLog.id)
    for name, value in where.items():
        query = query.where(getattr(LlamaLog, name) == value)
    return await query


async def test_manual_album_has_one_created_root_row() -> None:
    created = await manual_album(user_id=7, title="By Hand", artists=())
    album_rows = await rows(entity_type="ALBUM")
    assert len(album_rows) == 1
    row = album_rows[0]
    assert row["category"] == "CREATED"
    assert row["operation"] == "album:created:admin"
    assert row["is_root_job"] is True
    assert row["user_id"] == 7
    assert row["root_job_id"] == row["job_id"]
    assert row["parent_job_id"] is None
    assert row["entity_id"] == created.id == row["album_id"]


async def test_album_created_in_a_job_carries_job_ids_and_no_user() -> None:
    created, ctx = await job_album(title="Synced")
    (row,) = await rows(entity_type="ALBUM")
    assert row["category"] == "CREATED"
    assert row["user_id"] is None
    assert str(row["job_id"]) == ctx.job_id
    assert str(row["root_job_id"]) == ctx.root_job_id
    assert row["is_root_job"] is True
    assert row["sources"] == ["SPOTIFY"]


async def test_new_artist_is_a_created_child_and_existing_artist_is_linked() -> None:
    first, ctx1 = await job_album(title="One", artist="Kat Moda")
    second, ctx2 = await job_album(title="Two", artist="kat moda")  # same artist, other case
    artist_rows = await rows(entity_type="ARTIST")
    assert [r["category"] for r in artist_rows] == ["CREATED", "LINKED"]
    for row, ctx, album in ((artist_rows[0], ctx1, first), (artist_rows[1], ctx2, second)):
        assert str(row["parent_job_id"]) == ctx.job_id
        assert str(row["root_job_id"]) == ctx.root_job_id
        assert str(row["job_id"]) != ctx.job_id
        assert row["is_root_job"] is False
        assert row["album_id"] == album.id
    assert await Artist.count() == 1
    assert await AlbumArtist.count() == 2


async def test_twenty_concurrent_creators_make_one_artist() -> None:
    ctx = JobContext.new_root()

    async def create(i: int) -> uuid.UUID:
        with job_scope(ctx.child()):
            linked = await find_or_create_artist(
                ArtistInput(name="Race Condition", musicbrainz_id="5441c29d-3602-4898-b1a1-b77fa23b8e50"),
                operation_path="enrichment",
                sources=["MUSICBRAINZ"],
            )
            return linked.id

    ids = await asyncio.gather(*(create(i) for i in range(20)))
    assert len(set(ids)) == 1
    assert await Artist.count() == 1
    categories = [r["category"] for r in await rows(entity_type="ARTIST")]
    assert categories.count("CREATED") == 1
    assert categories.count("LINKED") == 19


async def test_album_with_twelve_tracks_logs_twelve_track_rows() -> None:
    created, ctx = await job_album(title="Twelve", tracks=tracklist(12))
    assert created.tracks_created == 12
    track_rows = await rows(entity_type="TRACK")
    assert len(track_rows) == 12
    assert {r["category"] for r in track_rows} == {"CREATED"}
    assert all(str(r["parent_job_id"]) == ctx.job_id for r in track_rows)
    assert all(r["album_id"] == created.id for r in track_rows)
    assert len({r["track_id"] for r in track_rows}) == 12
    album = await Album.select().where(Album.id == created.id).first()
    assert album["tracks_present"] == 12


async def test_one_bad_track_gets_a_failed_row_and_the_rest_are_created() -> None:
    tracks = list(tracklist(12))
    tracks[4] = TrackInput(title="Duplicate Five", track_number=4)  # clashes with track 4
    created, _ = await job_album(title="Eleven Good", tracks=tuple(tracks))
    assert created.tracks_created == 11
    assert created.tracks_failed == 1
    assert await Track.count().where(Track.album == created.id) == 11
    failed = await rows(category="FAILED")
    assert len(failed) == 1
    row = failed[0]
    assert row["operation"] == "track:failed:spotify-sync"
    assert row["status"] == "FAILED"
    assert row["error_code"] == "DUPLICATE_POSITION"
    assert row["error_message"]
    import json

    metadata = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    assert metadata["attempted"]["title"] == "Duplicate Five"
    assert metadata["attempted"]["track_number"] == 4
    assert len(await rows(entity_type="TRACK", category="CREATED")) == 11


async def test_invalid_track_is_failed_not_raised() -> None:
    created, _ = await job_album(
        title="Has Blank", tracks=(TrackInput(title="", track_number=1), *tracklist(2)[1:])
    )
    assert created.tracks_created == 1
    assert created.tracks_failed == 1
    (row,) = await rows(category="FAILED")
    assert row["error_code"] == "INVALID_TRACK"


async def test_a_change_that_raises_after_its_write_leaves_nothing() -> None:
    from app.db import transaction
    from app.llamalog.logger import record

    album_id = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with transaction():
            await Album.insert(Album(id=album_id, title="Doomed"))
            await record(entity_type="ALBUM", entity_id=album_id, operation="album:created:admin")
            raise RuntimeError("boom after the write")
    assert await Album.count() == 0
    assert await LlamaLog.count() == 0


async def test_update_album_logs_per_field_changes_and_bumps_version() -> None:
    created = await manual_album(title="Old Title")
    album = await Album.select().where(Album.id == created.id).first()
    result = await update_album(
        created.id, {"title": "New Title", "release_date": "2020-05"}, expected_version=album["version"]
    )
    assert result.version == album["version"] + 1
    assert result.changed == {
        "title": {"before": "Old Title", "after": "New Title"},
        "release_date": {"before": None, "after": "2020-05"},
    }
    (row,) = await rows(category="CORRECTED")
    assert row["operation"] == "album:corrected:admin"
    after = await Album.select().where(Album.id == created.id).first()
    assert after["title"] == "New Title"
    assert set(after["locked_fields"]) == {"title", "release_date"}


async def test_a_save_that_changes_nothing_writes_nothing() -> None:
    created = await manual_album(title="Same")
    before = await LlamaLog.count()
    result = await update_album(created.id, {"title": "Same"}, expected_version=1)
    assert result.changed == {}
    assert await LlamaLog.count() == before
    assert (await Album.select(Album.version).where(Album.id == created.id).first())["version"] == 1


async def test_stale_version_is_a_conflict_and_saves_nothing() -> None:
    created = await manual_album(title="Shared")
    await update_album(created.id, {"title": "First Admin"}, expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        await update_album(created.id, {"title": "Second Admin"}, expected_version=1)
    assert conflict.value.current["title"] == "First Admin"
    assert conflict.value.attempted["title"] == "Second Admin"
    album = await Album.select().where(Album.id == created.id).first()
    assert album["title"] == "First Admin"
    assert len(await rows(category="CORRECTED")) == 1


async def test_bad_field_values_raise_with_every_field_named() -> None:
    created = await manual_album(title="Valid")
    with pytest.raises(ValidationError) as error:
        await update_album(created.id, {"release_date": "2020-13-45", "title": ""}, expected_version=1)
    assert set(error.value.errors) == {"release_date", "title"}
    assert len(await rows(category="CORRECTED")) == 0


async def test_create_tracks_on_existing_album_are_children_of_the_running_job() -> None:
    created = await manual_album(title="Trackless", artists=())
    ctx = JobContext.new_root(triggered_by="user", user_id=3)
    with job_scope(ctx):
        result = await create_tracks(created.id, tracklist(3), operation_path="admin", sources=["USER"])
    assert len(result.created) == 3
    track_rows = await rows(entity_type="TRACK")
    assert all(str(r["parent_job_id"]) == ctx.job_id and r["user_id"] == 3 for r in track_rows)
