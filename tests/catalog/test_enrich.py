"""Album enrichment and cover caching against the local fake upstream (recorded payloads)."""

from __future__ import annotations

from typing import Any

from app.catalog.albums import update_album
from app.catalog.artist_enrich import enrich_artist
from app.catalog.covers import cache_cover
from app.catalog.enrich import enrich_album
from app.catalog.records import ArtistInput
from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.factories import job_album

KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"
ED_SHEERAN_PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"


async def _album(album_id: Any) -> dict[str, Any]:
    row = await Album.select().where(Album.id == album_id).first()
    assert row is not None
    return row


async def test_trackless_album_is_enriched_by_search(upstream: Any) -> None:
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    enrichment = sync.child()
    with job_scope(enrichment):
        result = await enrich_album(created.id)
    assert result.status == "SUCCESS"
    assert result.tracks_created == 3
    album = await _album(created.id)
    assert album["musicbrainz_id"] == KAT_MODA
    assert album["release_date"] == "2001"
    assert album["enrichment_status"] == "COMPLETED"
    assert album["tracks_present"] == 3 and "NO_TRACKS" not in album["broken_reasons"]
    tracks = (
        await Track.select(Track.track_number, Track.title, Track.duration_ms)
        .where(Track.album == created.id)
        .order_by(Track.track_number)
    )
    assert [(t["track_number"], t["title"], t["duration_ms"]) for t in tracks] == [
        (1, "Alarms", 317933),
        (2, "The Bells", 292880),
        (3, "The Bells (Festival mix)", 606866),
    ]
    (row,) = (
        await LlamaLog.select()
        .where(LlamaLog.category == "ENRICHED")
        .where(LlamaLog.entity_type == "ALBUM")
        .output(load_json=True)
    )
    assert row["operation"] == "album:enriched:musicbrainz"
    assert str(row["job_id"]) == enrichment.job_id
    assert str(row["parent_job_id"]) == sync.job_id
    assert str(row["root_job_id"]) == sync.root_job_id
    assert "musicbrainz_id" in row["fields_enriched"]
    assert row["changes"]["musicbrainz_id"] == {"before": None, "after": KAT_MODA}
    assert row["api_call_count"] == 2  # search, then lookup
    assert row["data_quality_before"] == "LOW"
    track_rows = await LlamaLog.select().where(
        (LlamaLog.entity_type == "TRACK") & (LlamaLog.category == "CREATED")
    )
    assert len(track_rows) == 3
    assert all(str(r["parent_job_id"]) == enrichment.job_id for r in track_rows)
    # The artist found by name gets the release's MBID instead of a second artist.
    assert await Artist.count() == 1
    artist = await Artist.select().first()
    assert artist["musicbrainz_id"] is not None


async def test_redelivered_enrichment_creates_nothing_twice(upstream: Any) -> None:
    created, sync = await job_album(title="Kat Moda", artist="Jeff Mills")
    for _ in range(2):
        with job_scope(sync.child()):
            await enrich_album(created.id)
    assert await Track.count().where(Track.album == created.id) == 3
    assert await Artist.count() == 1
    assert await AlbumArtist.count() == 1
    created_rows = await LlamaLog.count().where(LlamaLog.category == "CREATED")
    assert created_rows == 1 + 1 + 3  # album, artist, tracks: once each
    statuses = (
        await LlamaLog.select(LlamaLog.status)
        .where((LlamaLog.category == "ENRICHED") & (LlamaLog.entity_type == "ALBUM"))
        .order_by(LlamaLog.id)
    )
    assert [s["status"] for s in statuses] == ["SUCCESS", "SKIPPED"]


async def test_enrichment_by_mbid_fills_isrcs_and_twelve_tracks(upstream: Any) -> None:
    created, _ = await job_album(title="+", artist="Ed Sheeran", musicbrainz_id=ED_SHEERAN_PLUS)
    with job_scope(JobContext.new_root()):
        result = await enrich_album(created.id)
    assert result.tracks_created == 12
    isrcs = await Track.select(Track.isrc).where(Track.album == created.id)
    assert all(r["isrc"] for r in isrcs)


async def test_no_match_is_no_data_available(upstream: Any) -> None:
    created, _ = await job_album(title="Nothing Like This Exists", artist="Nobody")
    result = await enrich_album(created.id)
    assert result.status == "NO_DATA_AVAILABLE"
    assert (await _album(created.id))["enrichment_status"] == "NO_DATA_AVAILABLE"
    (row,) = await LlamaLog.select().where(LlamaLog.status == "NO_DATA_AVAILABLE")
    assert row["category"] == "ENRICHED" and row["reason"]


async def test_enrichment_after_a_correction_leaves_locked_fields_alone(upstream: Any) -> None:
    created, _ = await job_album(title="Kat Moda", artist="Jeff Mills")
    await update_album(created.id, {"release_date": "1997", "label": "Admin Label"}, expected_version=1)
    await enrich_album(created.id)
    album = await _album(created.id)
    assert album["release_date"] == "1997"
    assert album["label"] == "Admin Label"
    row = (
        await LlamaLog.select()
        .where(LlamaLog.operation == "album:enriched:musicbrainz")
        .output(load_json=True)
        .first()
    )
    assert "release_date" not in row["fields_enriched"]
    assert set(row["metadata"]["skipped_locked_fields"]) >= {"release_date"}


async def test_cover_is_cached_from_the_archive(upstream: Any) -> None:
    created, _ = await job_album(
        title="You Want It Darker",
        artist="Leonard Cohen",
        musicbrainz_id="78ce3427-f5cf-480d-92bb-837381162971",
    )
    album = await _album(created.id)
    assert album["cover_art_url"] is None
    assert await cache_cover(created.id) == "SUCCESS"
    row = await LlamaLog.select().where(LlamaLog.category == "CACHED").output(load_json=True).first()
    assert row["operation"] == "album:cached:cover-art"
    cover = (await _album(created.id))["cover_art_url"]
    assert cover and cover.startswith("http")
    assert row["changes"] == {"cover_art_url": {"before": None, "after": cover}}
    assert "NO_COVER" not in (await _album(created.id))["broken_reasons"]
    assert await cache_cover(created.id) == "SKIPPED"  # same image again: nothing changes


async def test_artist_without_mbid_has_no_data(upstream: Any) -> None:
    created, _ = await job_album(title="Anything", artist="Unknown Artist")
    artist = await Artist.select(Artist.id).first()
    assert await enrich_artist(artist["id"]) == "NO_DATA_AVAILABLE"
    assert created.artists_created == 1
    assert ArtistInput  # the record type used by the services


async def test_an_artist_whose_folded_name_outgrows_its_key_still_adopts_the_release_mbid(
    tmp_path: Any, monkeypatch: Any
) -> None:
    import json

    from app.demo.payloads import ROOT
    from tests.catalog.hostile import serving

    long_name = "Jeff Mills " + "and The Wizard " * 40  # folds to ~600 characters, the key holds 500
    text = (ROOT / "musicbrainz" / "release-e47d04a4-kat-moda-digital.json").read_text()
    release = json.loads(text.replace('"Jeff Mills"', json.dumps(long_name)))
    mbid = release["artist-credit"][0]["artist"]["id"]
    (tmp_path / "musicbrainz").mkdir()
    (tmp_path / "musicbrainz" / "release.json").write_text(json.dumps(release))
    created, _ = await job_album(title="Kat Moda", artist=long_name, musicbrainz_id=KAT_MODA)
    with serving(tmp_path, monkeypatch), job_scope(JobContext.new_root()):
        result = await enrich_album(created.id)
    assert result.tracks_created == 3
    (artist,) = await Artist.select()
    assert artist["musicbrainz_id"] == mbid  # adopted by the album's own artist, not merely linked
    adopted = await LlamaLog.count().where(LlamaLog.operation == "artist:enriched:enrichment")
    assert adopted == 1
