"""What enrichment and the MusicBrainz sync put on the record: summaries, per-track rows, links."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.catalog.enrich import enrich_album
from app.catalog.records import ArtistInput, TrackInput
from app.catalog.sync import sync_musicbrainz
from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.catalog.tracks import create_tracks
from app.correction.run_revert import revert_run
from app.demo.payloads import ROOT
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.catalog.hostile import MB_RELEASE, serving
from tests.factories import job_album, manual_album

KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"


async def _rows(**where: Any) -> list[dict[str, Any]]:
    query = LlamaLog.select().order_by(LlamaLog.id).output(load_json=True)
    for name, value in where.items():
        query = query.where(getattr(LlamaLog, name) == value)
    return await query


async def test_an_enrichment_root_row_sums_up_and_each_created_track_row_says_what_it_set(
    upstream: Any,
) -> None:
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    with job_scope(sync.child()):
        await enrich_album(created.id)
    (root,) = await _rows(operation="album:enriched:musicbrainz")
    summary = root["metadata"]["summary"]
    assert summary["tracks"]["added"] == {
        "count": 3,
        "titles": ["Alarms", "The Bells", "The Bells (Festival mix)"],
    }
    assert summary["fields"]["musicbrainz_id"] == {"before": None, "after": KAT_MODA}
    assert summary["quality"] == {"before": root["data_quality_before"], "after": root["data_quality_after"]}
    assert summary["text"].startswith(f"{len(summary['fields'])} fields changed (")

    tracks = {t["id"]: t for t in await Track.select().where(Track.album == created.id)}
    rows = await _rows(operation="track:created:enrichment")
    assert len(rows) == 3
    for row in rows:
        track = tracks[row["entity_id"]]
        assert {"title", "disc_number", "track_number", "duration_ms", "musicbrainz_id"} <= set(
            row["fields_enriched"]
        )
        assert row["data_quality_after"] in ("HIGH", "MEDIUM")
        meta = row["metadata"]
        assert meta["musicbrainz_recording_id"] == track["musicbrainz_id"] is not None
        assert (meta["disc_number"], meta["track_number"]) == (track["disc_number"], track["track_number"])
        assert meta["isrc"] == track["isrc"] and "spotify_id" in meta


def _release_with_a_twin_track(tmp_path: Path) -> dict[str, Any]:
    """The Kat Moda release with its second track on the first one's slot; returns the twin."""
    (tmp_path / "musicbrainz").mkdir()
    release = json.loads((ROOT / "musicbrainz" / MB_RELEASE).read_text())
    twin: dict[str, Any] = release["media"][0]["tracks"][1]
    twin["position"], twin["number"] = 1, "1"
    (tmp_path / "musicbrainz" / MB_RELEASE).write_text(json.dumps(release))
    shutil.copytree(ROOT / "coverartarchive", tmp_path / "coverartarchive")
    return twin


async def test_a_track_the_database_refuses_during_enrichment_is_a_failed_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tracks of the release on one slot: the second is refused, its FAILED row says why."""
    twin = _release_with_a_twin_track(tmp_path)
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    await Album.update({Album.musicbrainz_id: KAT_MODA}).where(Album.id == created.id)
    enrichment = sync.child()
    with serving(tmp_path, monkeypatch), job_scope(enrichment):
        result = await enrich_album(created.id)
    assert (result.status, result.tracks_created, result.tracks_failed) == ("PARTIAL_SUCCESS", 2, 1)
    (failed,) = await _rows(operation="track:failed:enrichment")
    assert (failed["category"], failed["status"]) == ("FAILED", "FAILED")
    assert failed["error_code"] == "DUPLICATE_POSITION" and failed["error_message"]
    assert failed["entity_label"] == twin["title"]
    assert failed["metadata"]["attempted"]["track_number"] == 1
    assert str(failed["parent_job_id"]) == enrichment.job_id and not failed["is_root_job"]
    (root,) = await _rows(operation="album:enriched:musicbrainz")
    assert root["status"] == "PARTIAL_SUCCESS"
    assert root["metadata"]["summary"]["tracks"]["added"]["count"] == 2
    assert await Album.select(Album.enrichment_status).where(Album.id == created.id).first() == {
        "enrichment_status": "PARTIAL_SUCCESS"
    }


async def test_a_partly_successful_enrichment_is_undone_by_reverting_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PARTIAL_SUCCESS rows changed the catalog too (two tracks added, fields filled): the revert of
    the enrichment's run takes all of it back."""
    _release_with_a_twin_track(tmp_path)
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    await Album.update({Album.musicbrainz_id: KAT_MODA}).where(Album.id == created.id)
    columns = (Album.title, Album.release_date, Album.barcode, Album.label, Album.release_type)
    before = await Album.select(*columns).where(Album.id == created.id).first()
    enrichment = sync.child()
    with serving(tmp_path, monkeypatch), job_scope(enrichment):
        result = await enrich_album(created.id)
    assert result.status == "PARTIAL_SUCCESS" and await Track.count().where(Track.album == created.id) == 2
    with job_scope(JobContext.new_root(triggered_by="user")):
        outcome = await revert_run(uuid.UUID(enrichment.job_id))
    assert outcome.conflicts == [] and outcome.albums_restored == 1
    assert await Track.count().where(Track.album == created.id) == 0
    assert await Album.select(*columns).where(Album.id == created.id).first() == before


async def test_reverting_an_enrichment_takes_off_the_artist_it_credited_and_removes_it(
    upstream: Any,
) -> None:
    """The release's artist was not on the album: the enrichment created and credited it; the revert
    of the enrichment's run takes the credit off and removes the artist nothing else credits."""
    created, sync = await job_album(title="Kat Moda", artist="DJ Nobody")
    await Album.update({Album.musicbrainz_id: KAT_MODA}).where(Album.id == created.id)
    enrichment = sync.child()
    with job_scope(enrichment):
        await enrich_album(created.id)
    credited = AlbumArtist.select(AlbumArtist.artist.name).where(AlbumArtist.album == created.id)
    assert sorted(r["artist.name"] for r in await credited) == ["DJ Nobody", "Jeff Mills"]
    with job_scope(JobContext.new_root(triggered_by="user")):
        outcome = await revert_run(uuid.UUID(enrichment.job_id))
    assert (outcome.artists_unlinked, outcome.artists_removed, outcome.conflicts) == (1, 1, [])
    assert [r["artist.name"] for r in await credited] == ["DJ Nobody"]
    assert await Artist.count().where(Artist.name == "Jeff Mills") == 0
    unlinked = await _rows(operation="artist:unlinked:revert")
    assert len(unlinked) == 1 and unlinked[0]["album_id"] == created.id


async def test_reverting_an_enrichment_gives_the_artist_its_fields_back_as_a_new_version(
    upstream: Any,
) -> None:
    """The enrichment filled fields of the album's existing artist (its MBID, its sort name), and the
    revert puts them back: each a write like any other, with a new version and a new updated_at."""
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    await Album.update({Album.musicbrainz_id: KAT_MODA}).where(Album.id == created.id)
    artist = await Artist.select().where(Artist.name == "Jeff Mills").first()
    assert artist is not None
    enrichment = sync.child()
    with job_scope(enrichment):
        await enrich_album(created.id)
    enriched = await Artist.select().where(Artist.id == artist["id"]).first()
    assert enriched is not None
    assert enriched["version"] == artist["version"] + 1 and enriched["updated_at"] > artist["updated_at"]
    filled = {k for k in enriched if k not in ("version", "updated_at") and enriched[k] != artist[k]}
    assert "musicbrainz_id" in filled
    with job_scope(JobContext.new_root(triggered_by="user")):
        outcome = await revert_run(uuid.UUID(enrichment.job_id))
    assert (outcome.artists_restored, outcome.conflicts) == (1, [])
    restored = await Artist.select().where(Artist.id == artist["id"]).first()
    assert restored is not None
    assert {k: restored[k] for k in filled} == {k: artist[k] for k in filled}
    assert restored["version"] == enriched["version"] + 1
    assert restored["updated_at"] > enriched["updated_at"]


async def test_an_existing_artist_credited_on_a_track_is_linked_on_the_record(upstream: Any) -> None:
    created = await manual_album(title="+", artist="Ed Sheeran", release_date="2011")
    (artist,) = await Artist.select(Artist.id).where(Artist.name == "Ed Sheeran")
    with job_scope(JobContext.new_root(triggered_by="user", user_id=1)):
        made = await create_tracks(
            created.id,
            [TrackInput(title="Drunk", track_number=2, artists=(ArtistInput(name="Ed Sheeran"),))],
            operation_path="admin",
            sources=["USER"],
        )
    (row,) = await _rows(operation="artist:linked:admin")
    assert (row["category"], row["entity_id"], row["track_id"]) == ("LINKED", artist["id"], made.created[0])
    artist_chain = await LlamaLog.select(LlamaLog.track_id).where(LlamaLog.artist_id == artist["id"])
    assert made.created[0] in {r["track_id"] for r in artist_chain}


async def test_the_musicbrainz_sync_creates_albums_as_root_rows(upstream: Any) -> None:
    sync = JobContext.new_root(triggered_by="scheduled")
    with job_scope(sync):
        result = await sync_musicbrainz(days=36500, max_albums=5)
    assert result.created and result.failed == 0
    albums = await Album.select().where(Album.source == "MUSICBRAINZ")
    assert {a["id"] for a in albums} == set(result.created)
    rows = await _rows(operation="album:created:musicbrainz-sync")
    assert {r["entity_id"] for r in rows} == set(result.created)
    for row in rows:
        assert (row["category"], row["status"], row["sources"]) == ("CREATED", "SUCCESS", ["MUSICBRAINZ"])
        assert str(row["job_id"]) == sync.job_id and row["is_root_job"]
        album = next(a for a in albums if a["id"] == row["entity_id"])
        assert row["metadata"]["musicbrainz_id"] == album["musicbrainz_id"] is not None
    artists = await _rows(category="CREATED", entity_type="ARTIST")
    assert artists and all(str(r["parent_job_id"]) == sync.job_id for r in artists)
