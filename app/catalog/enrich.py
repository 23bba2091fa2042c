"""Album enrichment from MusicBrainz: fill what is empty or unlocked, add missing tracks and artists.

The network calls happen first; every write then goes into one transaction with its log rows, so a
redelivered run finds the work done and adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import cast

from app.catalog.artists import find_or_create_artist, lock_artists, name_key
from app.catalog.from_upstream import album_from_musicbrainz
from app.catalog.locks import fields_to_update
from app.catalog.names import fold
from app.catalog.records import AlbumInput, ArtistInput, TrackInput
from app.catalog.rows import AlbumRow, ColumnUpdates, FieldChanges, FieldValue, TrackRow, field_value
from app.catalog.state import refresh_album_state
from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.catalog.tracks import create_tracks
from app.catalog.versioned import lock_album, set_album, set_track
from app.db import transaction
from app.jobs.actors import ActorName
from app.jobs.launch import enqueue_child
from app.llamalog.logger import record, record_many
from app.llamalog.summary import summarize
from app.not_found import NotFound
from app.sources import clients
from app.sources.http import counting_calls
from app.sources.records import MbRelease

# Album columns enrichment may fill from a MusicBrainz release.
ENRICHABLE = (
    "title",
    "release_date",
    "release_type",
    "release_status",
    "release_country",
    "track_count",
    "duration_ms",
    "barcode",
    "label",
    "catalog_number",
    "musicbrainz_id",
    "genres",
    "secondary_types",
)
# Fields a job only fills when empty: a Spotify title or date is as good as MusicBrainz's.
FILL_ONLY = ("title",)
SEARCH_MIN_SCORE = 90
TRACK_FILLABLE = ("duration_ms", "isrc", "musicbrainz_id")


@dataclass
class EnrichmentResult:
    album_id: uuid.UUID
    status: str
    fields: list[str] = field(default_factory=list)
    skipped_locked: list[str] = field(default_factory=list)
    tracks_created: int = 0
    tracks_failed: int = 0
    tracks_enriched: int = 0
    artists_created: int = 0
    artists_linked: int = 0
    api_calls: int = 0
    musicbrainz_id: str | None = None
    track_titles: dict[str, list[str]] = field(default_factory=dict)  # action → titles, for the summary


async def _album_artist_names(album_id: uuid.UUID) -> list[str]:
    rows = (
        await AlbumArtist.select(AlbumArtist.artist.name)
        .where(AlbumArtist.album == album_id)
        .order_by(AlbumArtist.position)
    )
    return [r["artist.name"] for r in rows]


async def find_release(album: AlbumRow, artist_names: list[str]) -> MbRelease | None:
    """The album's MusicBrainz release: by its MBID, else the best search hit by title + artist."""
    mb = clients.musicbrainz()
    if mbid := album["musicbrainz_id"]:
        return await mb.release(mbid)
    artist = artist_names[0] if artist_names else None
    page = await mb.find_releases(album["title"], artist, limit=10)
    wanted_title = fold(album["title"], drop_featuring=True)
    wanted_artist = fold(artist or "", drop_featuring=True)
    for hit in page.releases:
        if (hit.score or 0) < SEARCH_MIN_SCORE or fold(hit.title, drop_featuring=True) != wanted_title:
            continue
        if wanted_artist and fold(hit.artist_phrase, drop_featuring=True).find(wanted_artist) < 0:
            continue
        return await mb.release(hit.id)
    return None


def proposed_fields(album: AlbumRow, found: AlbumInput) -> dict[str, FieldValue]:
    """What the release would set: values it has that differ from the album's."""
    values = found.column_values()
    proposed: dict[str, FieldValue] = {}
    for name in ENRICHABLE:
        value = values.get(name)
        if value in (None, "", []):
            continue
        if name in FILL_ONLY and album.get(name):
            continue
        if (
            name == "release_date"
            and album.get(name)
            and len(str(field_value(album, name))) > len(str(value))
        ):
            continue  # never trade a full date for a year
        if album.get(name) != value:
            proposed[name] = value
    return proposed


class AlbumGone(NotFound):
    """The album was deleted since the run was sent (e.g. a retry of an old failure): no retry helps."""

    retryable = False
    error_code = "ALBUM_NOT_FOUND"


async def enrich_album(album_id: uuid.UUID) -> EnrichmentResult:
    """Enrich one album from MusicBrainz; writes one ENRICHED row (or NO_DATA_AVAILABLE/SKIPPED)."""
    started = time.monotonic()
    album = cast(AlbumRow | None, await Album.select().where(Album.id == album_id).first())
    if album is None:
        raise AlbumGone(f"There is no album {album_id} (deleted since the run was sent?).")
    await Album.update({Album.enrichment_status: "IN_PROGRESS"}).where(Album.id == album_id)
    with counting_calls() as calls:
        release = await find_release(album, await _album_artist_names(album_id))
    elapsed = lambda: int((time.monotonic() - started) * 1000)  # noqa: E731
    if release is None:
        return await _no_data(album, calls.total, elapsed())
    found = album_from_musicbrainz(release)
    async with transaction():
        # Values, locks and version are read under the album's lock, so what this run overwrites is
        # what it logs as `before`, and a field an admin just locked stays theirs.
        current = await lock_album(album_id)
        if current is None:
            raise NotFound(f"There is no album {album_id}.")
        allowed, skipped = fields_to_update(current, proposed_fields(current, found))
        duplicate_of = await _mbid_owner(release.id, album_id)
        if duplicate_of is not None:
            allowed.pop("musicbrainz_id", None)  # unique: another album already is this release
        result = EnrichmentResult(
            album_id=current["id"],
            status="SUCCESS",
            skipped_locked=skipped,
            api_calls=calls.total,
            musicbrainz_id=release.id,
        )
        # Every artist of the release at once, in one order: see app/catalog/artists.py.
        await lock_artists([*found.artists, *(a for track in found.tracks for a in track.artists)])
        await _link_artists(current["id"], found.artists, result)
        await _sync_tracks(current["id"], found.tracks, result)
        changes: FieldChanges = {
            name: {"before": field_value(current, name), "after": value} for name, value in allowed.items()
        }
        now = dt.datetime.now(dt.UTC)
        updates: ColumnUpdates = {getattr(Album, name): value for name, value in allowed.items()}
        status = "PARTIAL_SUCCESS" if result.tracks_failed else "COMPLETED"
        updates.update({Album.enrichment_status: status, Album.last_enriched_at: now})
        if changes:
            await set_album(current, updates)
        else:  # bookkeeping only: no field changed, so the version stays
            await Album.update(updates).where(Album.id == album_id)
        quality_before, quality_after = await refresh_album_state(album_id)
        result.fields = sorted(changes)
        touched = changes or result.tracks_created or result.tracks_enriched or result.artists_created
        result.status = "PARTIAL_SUCCESS" if result.tracks_failed else "SUCCESS" if touched else "SKIPPED"
        await record(
            entity_type="ALBUM",
            entity_id=album_id,
            operation="album:enriched:musicbrainz",
            category="ENRICHED",
            status=result.status,
            sources=["MUSICBRAINZ"],
            entity_label=allowed.get("title") or current["title"],
            fields_enriched=result.fields,
            changes=changes or None,
            data_quality_before=quality_before,
            data_quality_after=quality_after,
            reason=None if touched else "already up to date with MusicBrainz",
            api_call_count=calls.total,
            duration_ms=elapsed(),
            metadata={
                "summary": summarize(
                    fields=changes,
                    tracks=result.track_titles,
                    quality_before=quality_before,
                    quality_after=quality_after,
                ),
                "musicbrainz_id": release.id,
                "skipped_locked_fields": skipped,
                "musicbrainz_id_taken_by": str(duplicate_of) if duplicate_of else None,
                "tracks_created": result.tracks_created,
                "tracks_enriched": result.tracks_enriched,
                "tracks_failed": result.tracks_failed,
            },
        )
    # The release is known now: its cover follows as a child job (no-op outside a worker).
    await enqueue_child(ActorName.CACHE_COVER, str(album_id))
    return result


async def _mbid_owner(mbid: str, album_id: uuid.UUID) -> uuid.UUID | None:
    row = await Album.select(Album.id).where((Album.musicbrainz_id == mbid) & (Album.id != album_id)).first()
    return row["id"] if row else None


async def _no_data(album: AlbumRow, api_calls: int, duration_ms: int) -> EnrichmentResult:
    async with transaction():
        await Album.update(
            {Album.enrichment_status: "NO_DATA_AVAILABLE", Album.last_enriched_at: dt.datetime.now(dt.UTC)}
        ).where(Album.id == album["id"])
        await record(
            entity_type="ALBUM",
            entity_id=album["id"],
            operation="album:enriched:musicbrainz",
            category="ENRICHED",
            status="NO_DATA_AVAILABLE",
            sources=["MUSICBRAINZ"],
            entity_label=album["title"],
            reason="no MusicBrainz release matches this title and artist",
            api_call_count=api_calls,
            duration_ms=duration_ms,
        )
    return EnrichmentResult(album_id=album["id"], status="NO_DATA_AVAILABLE", api_calls=api_calls)


async def _link_artists(
    album_id: uuid.UUID, artists: tuple[ArtistInput, ...], result: EnrichmentResult
) -> None:
    """Link the release's artists the album does not have yet (a redelivery links nothing twice)."""
    linked = await AlbumArtist.select(AlbumArtist.artist.musicbrainz_id, AlbumArtist.artist.name_key).where(
        AlbumArtist.album == album_id
    )
    have_mbids = {r["artist.musicbrainz_id"] for r in linked if r["artist.musicbrainz_id"]}
    have_names = {r["artist.name_key"] for r in linked}
    position = len(linked)
    for artist in artists:
        if artist.musicbrainz_id in have_mbids:
            continue
        if name_key(artist.name) in have_names:
            await _adopt_mbid(album_id, artist)
            continue
        found = await find_or_create_artist(
            artist, operation_path="enrichment", sources=["MUSICBRAINZ"], album_id=album_id
        )
        if found.created:
            result.artists_created += 1
        else:
            result.artists_linked += 1
        await AlbumArtist.insert(
            AlbumArtist(album=album_id, artist=found.id, position=position, join_phrase=artist.join_phrase)
        ).on_conflict(action="DO NOTHING")
        position += 1


async def _adopt_mbid(album_id: uuid.UUID, artist: ArtistInput) -> None:
    """The album's artist by name gets the release's MBID when it has none (an ENRICHED artist row)."""
    if not artist.musicbrainz_id:
        return
    await lock_artists([artist])  # a no-op inside enrich_album, which took them all up front
    taken = await Artist.exists().where(Artist.musicbrainz_id == artist.musicbrainz_id)
    if taken:
        return
    rows = await Artist.select(Artist.id, Artist.name, Artist.sort_name).where(
        (Artist.name_key == name_key(artist.name))
        & Artist.musicbrainz_id.is_null()
        & Artist.id.is_in(AlbumArtist.select(AlbumArtist.artist).where(AlbumArtist.album == album_id))
    )
    for row in rows[:1]:
        changes: FieldChanges = {"musicbrainz_id": {"before": None, "after": artist.musicbrainz_id}}
        if artist.sort_name != row["sort_name"]:  # every change on the record, so a revert can undo it
            changes["sort_name"] = {"before": row["sort_name"], "after": artist.sort_name}
        # A write like any other (the artist is locked): a person's edit begun before it now conflicts.
        await Artist.update(
            {
                Artist.musicbrainz_id: artist.musicbrainz_id,
                Artist.sort_name: artist.sort_name,
                Artist.version: Artist.version + 1,
                Artist.updated_at: dt.datetime.now(dt.UTC),
            }
        ).where(Artist.id == row["id"])
        await record(
            entity_type="ARTIST",
            entity_id=row["id"],
            operation="artist:enriched:enrichment",
            category="ENRICHED",
            child=True,
            album_id=album_id,
            sources=["MUSICBRAINZ"],
            entity_label=row["name"],
            fields_enriched=sorted(changes),
            changes=changes,
        )


async def _sync_tracks(album_id: uuid.UUID, tracks: tuple[TrackInput, ...], result: EnrichmentResult) -> None:
    """Create the release's tracks the album lacks; fill empty durations, ISRCs and recording ids."""
    existing = cast(list[TrackRow], await Track.select().where(Track.album == album_id))
    by_position = {(t["disc_number"], t["track_number"]): t for t in existing}
    by_mbid: dict[str | None, TrackRow] = {t["musicbrainz_id"]: t for t in existing if t["musicbrainz_id"]}
    missing: list[TrackInput] = []
    filled: list[dict[str, object]] = []
    for track in tracks:
        have = by_mbid.get(track.musicbrainz_id) or by_position.get((track.disc_number, track.track_number))
        if have is None:
            missing.append(track)
            continue
        fills = {
            name: getattr(track, name)
            for name in TRACK_FILLABLE
            if field_value(have, name) in (None, "") and getattr(track, name) not in (None, "")
        }
        if fills and "musicbrainz_id" in fills and fills["musicbrainz_id"] in by_mbid:
            fills.pop("musicbrainz_id")
        if fills:
            filled.append(await _fill_track(album_id, have, fills))
            result.tracks_enriched += 1
            result.track_titles.setdefault("changed", []).append(have["title"])
    await record_many(filled)  # one row per track, written together in this transaction
    if missing:
        created = await create_tracks(album_id, missing, operation_path="enrichment", sources=["MUSICBRAINZ"])
        result.tracks_created = len(created.created)
        result.track_titles["added"] = created.titles
        result.tracks_failed = len(created.failed)
        result.artists_created += created.artists_created
        result.artists_linked += created.artists_linked


async def _fill_track(
    album_id: uuid.UUID, track: TrackRow, fills: dict[str, FieldValue]
) -> dict[str, object]:
    """Fill the track's empty fields; returns its ENRICHED log row for record_many()."""
    await set_track(track, {getattr(Track, name): value for name, value in fills.items()})
    return {
        "entity_type": "TRACK",
        "entity_id": track["id"],
        "operation": "track:enriched:enrichment",
        "category": "ENRICHED",
        "child": True,
        "album_id": album_id,
        "sources": ["MUSICBRAINZ"],
        "entity_label": track["title"],
        "fields_enriched": sorted(fills),
        "changes": {
            name: {"before": field_value(track, name), "after": value} for name, value in fills.items()
        },
    }
