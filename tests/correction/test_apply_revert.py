"""Apply a candidate and revert it: one job each in the log, and the album back exactly as it was."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from app.catalog.albums import VersionConflict, update_album
from app.catalog.locks import fields_to_update
from app.catalog.records import ArtistInput, TrackInput
from app.catalog.tables import Album, Track, TrackArtist
from app.correction.apply import ApplyError, apply_candidate
from app.correction.current import load_current
from app.correction.preview import build_preview
from app.correction.revert import RevertConflict, revert
from app.llamalog.context import job_scope, user_job
from app.llamalog.tables import LlamaLog
from tests.catalog.log_chain import album_problems, track_problems
from tests.correction import payloads
from tests.factories import manual_album

VOLATILE = {"version", "updated_at"}  # a revert is a change of its own: new version, new time


async def _broken_plus() -> Any:
    """“+” as a sync left it: a wrong date, two tracks swapped, one missing length, a bonus demo."""
    tracks = (
        TrackInput(title="The A Team", track_number=1, duration_ms=None),
        TrackInput(title="Drunk", track_number=2, duration_ms=199_000),
        TrackInput(title="Grade 8", track_number=3, duration_ms=181_000),
        TrackInput(title="U.N.I.", track_number=4, duration_ms=229_000),
        TrackInput(
            title="Bonus Demo",
            track_number=13,
            duration_ms=150_000,
            artists=(ArtistInput(name="Ed Sheeran"),),
        ),
    )
    return await manual_album(
        title="+", artist="Ed Sheeran", release_date="2011", release_type="album", tracks=tracks
    )


async def _state(album_id: Any) -> dict[str, Any]:
    album = await Album.select().where(Album.id == album_id).first()
    tracks = await Track.select().where(Track.album == album_id).order_by(Track.id)
    links = await TrackArtist.select(TrackArtist.track, TrackArtist.artist, TrackArtist.role).order_by(
        TrackArtist.track
    )
    return {
        "album": {k: v for k, v in album.items() if k not in VOLATILE},
        "tracks": [{k: v for k, v in t.items() if k not in VOLATILE} for t in tracks],
        "links": links,
    }


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    value = row["metadata"]
    return json.loads(value) if isinstance(value, str) else value


def _changes(row: dict[str, Any]) -> dict[str, Any]:
    value = row["changes"]
    return json.loads(value) if isinstance(value, str) else value


async def _everything(album_id: Any) -> tuple[set[str], set[str]]:
    current = await load_current(album_id)
    preview = build_preview(current, payloads.plus())
    fields = {f.name for f in preview.fields if f.takeable}
    tracks = {p.key for p in preview.tracks if p.status != "unchanged"}
    return fields, tracks


async def test_apply_then_revert_leaves_the_album_exactly_as_before() -> None:
    created = await _broken_plus()
    before = await _state(created.id)
    fields, tracks = await _everything(created.id)
    apply_job = user_job(1, "admin")
    with job_scope(apply_job):
        applied = await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    assert applied.tracks == {"added": 8, "changed": 4, "removed": 1}
    album = await Album.select().where(Album.id == created.id).first()
    assert album["musicbrainz_id"] == payloads.ED_SHEERAN_PLUS
    assert album["release_date"] == "2011-09-09"
    assert album["tracks_present"] == 12 and album["track_count"] == 12
    assert "NO_TRACKS" not in album["broken_reasons"] and "NO_MUSICBRAINZ_ID" not in album["broken_reasons"]
    assert {"release_date", "musicbrainz_id", "barcode"} <= set(album["locked_fields"])
    titles = [
        t["title"]
        for t in await Track.select(Track.title).where(Track.album == created.id).order_by(Track.track_number)
    ]
    assert titles == [t.title for t in payloads.plus().tracks]

    rows = await LlamaLog.select().where(LlamaLog.root_job_id == apply_job.job_id).order_by(LlamaLog.id)
    assert len(rows) == 14 and {r["user_id"] for r in rows} == {1}
    (album_row,) = [r for r in rows if r["entity_type"] == "ALBUM"]
    assert album_row["operation"] == "album:corrected:musicbrainz"
    assert album_row["category"] == "CORRECTED" and album_row["sources"] == ["MUSICBRAINZ"]
    assert album_row["user_id"] == 1 and str(album_row["job_id"]) == apply_job.job_id
    assert _changes(album_row)["release_date"] == {"before": "2011", "after": "2011-09-09"}
    meta = _meta(album_row)
    assert meta["candidate"]["external_id"] == payloads.ED_SHEERAN_PLUS
    assert sum(c["points"] for c in meta["score"]["components"]) == meta["score"]["total"]
    track_rows = [r for r in rows if r["entity_type"] == "TRACK"]
    assert len(track_rows) == 13  # one per added, changed or removed track
    assert all(str(r["parent_job_id"]) == apply_job.job_id for r in track_rows)
    assert sorted({r["operation"] for r in track_rows}) == [
        "track:corrected:musicbrainz",
        "track:created:musicbrainz",
        "track:deleted:musicbrainz",
    ]
    removed = next(r for r in track_rows if r["operation"] == "track:deleted:musicbrainz")
    assert _changes(removed)["title"] == {"before": "Bonus Demo", "after": None}

    revert_job = user_job(1, "admin")
    with job_scope(revert_job):
        undone = await revert(job_id=apply_job.job_id)
    assert sorted(undone.reverted) == sorted(r["id"] for r in rows)
    assert await _state(created.id) == before

    revert_rows = await LlamaLog.select().where(LlamaLog.root_job_id == revert_job.job_id)
    (revert_album,) = [r for r in revert_rows if r["entity_type"] == "ALBUM"]
    assert revert_album["operation"] == "album:reverted:admin"
    assert revert_album["category"] == "CORRECTED"
    assert _meta(revert_album)["reverted_job"] == apply_job.job_id
    assert sorted(_meta(revert_album)["reverts"]) == sorted(r["id"] for r in rows)
    track_reverts = [r for r in revert_rows if r["entity_type"] == "TRACK"]
    assert len(track_reverts) == 13
    assert {r["operation"] for r in track_reverts} == {"track:reverted:admin"}


async def test_a_stale_version_is_a_conflict_and_nothing_is_applied() -> None:
    created = await _broken_plus()
    fields, tracks = await _everything(created.id)
    with job_scope(user_job(2, "other")):
        await update_album(created.id, {"label": "Asylum"}, expected_version=1)
    before = await _state(created.id)
    log_before = await LlamaLog.count()
    with job_scope(user_job(1, "admin")), pytest.raises(VersionConflict):
        await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    assert await _state(created.id) == before
    assert await LlamaLog.count() == log_before


async def test_revert_refuses_when_a_field_changed_since() -> None:
    created = await _broken_plus()
    fields, tracks = await _everything(created.id)
    job = user_job(1, "admin")
    with job_scope(job):
        applied = await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    with job_scope(user_job(1, "admin")):
        await update_album(created.id, {"release_date": "2011-09"}, expected_version=applied.version)
    before = await _state(created.id)
    log_before = await LlamaLog.count()
    with job_scope(user_job(1, "admin")), pytest.raises(RevertConflict) as conflict:
        await revert(job_id=job.job_id)
    assert any(c.startswith("release_date:") for c in conflict.value.conflicts)
    assert await _state(created.id) == before
    assert await LlamaLog.count() == log_before


async def test_one_track_row_reverts_alone() -> None:
    created = await _broken_plus()
    fields, tracks = await _everything(created.id)
    with job_scope(user_job(1, "admin")):
        await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    row = await LlamaLog.select().where(LlamaLog.operation == "track:deleted:musicbrainz").first()
    with job_scope(user_job(1, "admin")):
        undone = await revert(log_id=row["id"])
    assert undone.reverted == [row["id"]]
    bonus = await Track.select().where(Track.id == row["entity_id"]).first()
    assert bonus["title"] == "Bonus Demo" and bonus["track_number"] == 13
    assert await TrackArtist.count().where(TrackArtist.track == row["entity_id"]) == 1
    assert await Track.count().where(Track.album == created.id) == 13
    album = await Album.select().where(Album.id == created.id).first()
    assert album["musicbrainz_id"] == payloads.ED_SHEERAN_PLUS  # the rest of the correction stays


async def test_picks_that_would_share_a_slot_are_refused_before_writing() -> None:
    created = await _broken_plus()
    current = await load_current(created.id)
    preview = build_preview(current, payloads.plus())
    grade8 = next(p for p in preview.tracks if p.current and p.current["title"] == "Grade 8")
    with job_scope(user_job(1, "admin")), pytest.raises(ApplyError):
        # Grade 8 moves to slot 4 while U.N.I. stays there.
        await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=set(), take_tracks={grade8.key}
        )
    assert await Track.count().where(Track.album == created.id) == 5


async def test_defaults_fill_gaps_keep_locks_and_never_remove() -> None:
    created = await _broken_plus()
    with job_scope(user_job(1, "admin")):
        await update_album(created.id, {"barcode": "12345678"}, expected_version=1)
    preview = build_preview(await load_current(created.id), payloads.plus())
    by_name = {f.name: f for f in preview.fields}
    assert by_name["musicbrainz_id"].take and by_name["musicbrainz_id"].status == "fill"
    assert by_name["barcode"].locked and not by_name["barcode"].take
    assert by_name["release_date"].status == "change" and not by_name["release_date"].take
    assert by_name["title"].status == "same"
    picked = {p.status for p in preview.tracks if p.key in preview.take_tracks}
    assert "removed" not in picked and "added" in picked


async def test_locked_fields_are_left_to_the_admin() -> None:
    created = await _broken_plus()
    fields, tracks = await _everything(created.id)
    with job_scope(user_job(1, "admin")):
        await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    album = await Album.select().where(Album.id == created.id).first()
    proposed = {
        "release_date": "2012",
        "genres": ["pop"],
        "barcode": "5052498646524",
        "cover_art_url": "https://x/y.jpg",
    }
    allowed, skipped = fields_to_update(album, proposed)
    assert allowed == {"genres": ["pop"], "cover_art_url": "https://x/y.jpg"} or "cover_art_url" in skipped
    assert "release_date" in skipped and "release_date" not in allowed
    assert (
        "barcode" not in allowed and "barcode" not in skipped
    )  # locked, but the same value: nothing skipped
    assert "genres" in allowed


async def test_a_recording_twice_on_the_release_keeps_its_id_once() -> None:
    created = await manual_album(title="+", artist="Ed Sheeran")
    tracks = list(payloads.plus().tracks)
    tracks[11] = replace(tracks[11], recording_id=tracks[0].recording_id, title="The A Team (reprise)")
    candidate = replace(payloads.plus(), tracks=tuple(tracks))
    keys = {f"new-1-{n}" for n in range(1, 13)}
    with job_scope(user_job(1, "admin")):
        applied = await apply_candidate(
            created.id, candidate, expected_version=1, take_fields=set(), take_tracks=keys
        )
    assert applied.tracks["added"] == 12
    rows = await Track.select(Track.track_number, Track.musicbrainz_id).where(Track.album == created.id)
    ids = {r["track_number"]: r["musicbrainz_id"] for r in rows}
    assert ids[1] == tracks[0].recording_id and ids[12] is None


async def test_a_release_another_album_already_is_cannot_be_applied_twice() -> None:
    first = await manual_album(title="+", artist="Ed Sheeran")
    second = await manual_album(title="+ (copy)", artist="Ed Sheeran")
    with job_scope(user_job(1, "admin")):
        await apply_candidate(
            first.id, payloads.plus(), expected_version=1, take_fields={"musicbrainz_id"}, take_tracks=set()
        )
    from app.correction.lookup import _remember
    from app.correction.steps import preview_for_album

    _remember(payloads.plus())
    preview = await preview_for_album(second.id, payloads.plus().key)
    mbid = next(f for f in preview.fields if f.name == "musicbrainz_id")
    assert mbid.status == "invalid" and not mbid.take and "already the ID of “+”" in (mbid.error or "")
    with job_scope(user_job(1, "admin")), pytest.raises(ApplyError):
        await apply_candidate(
            second.id, payloads.plus(), expected_version=1, take_fields={"musicbrainz_id"}, take_tracks=set()
        )


async def test_a_track_deleted_by_hand_comes_back_with_its_values() -> None:
    from app.catalog.tracks import delete_track

    created = await _broken_plus()
    bonus = await Track.select().where((Track.album == created.id) & (Track.track_number == 13)).first()
    with job_scope(user_job(1, "admin")):
        await delete_track(bonus["id"])
    row = await LlamaLog.select().where(LlamaLog.operation == "track:deleted:admin").first()
    with job_scope(user_job(1, "admin")):
        await revert(log_id=row["id"])
    back = await Track.select().where(Track.id == bonus["id"]).first()
    assert {k: back[k] for k in ("title", "disc_number", "track_number", "duration_ms")} == {
        "title": "Bonus Demo",
        "disc_number": 1,
        "track_number": 13,
        "duration_ms": 150_000,
    }


async def test_a_revert_logs_what_it_puts_back_on_each_track() -> None:
    created = await _broken_plus()
    album_start = await Album.select().where(Album.id == created.id).first()
    tracks_start = {t["id"]: t for t in await Track.select().where(Track.album == created.id)}
    fields, tracks = await _everything(created.id)
    apply_job = user_job(1, "admin")
    with job_scope(apply_job):
        await apply_candidate(
            created.id, payloads.plus(), expected_version=1, take_fields=fields, take_tracks=tracks
        )
    with job_scope(user_job(1, "admin")):
        await revert(job_id=apply_job.job_id)

    undone = (
        await LlamaLog.select()
        .where((LlamaLog.operation == "track:reverted:admin") & (LlamaLog.album_id == created.id))
        .output(load_json=True)
    )
    assert undone and all(row["changes"] for row in undone)
    # Every track's rows chain from its first values to the ones on file, and so do the album's.
    assert await track_problems(created.id, tracks_start) == []
    assert await album_problems(created.id, album_start) == []
