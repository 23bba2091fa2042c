"""Album services: create (by hand or in a job) and correct fields with optimistic concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.catalog.artists import find_or_create_artist, lock_artists
from app.catalog.records import AlbumInput
from app.catalog.rows import AlbumRow, ColumnUpdates, FieldChanges, field_items, field_value
from app.catalog.state import refresh_album_state
from app.catalog.tables import Album, AlbumArtist
from app.catalog.tracks import create_tracks
from app.catalog.validation import clean_album_fields
from app.catalog.versioned import StaleVersion, lock_album, set_album
from app.db import transaction
from app.llamalog.logger import record
from app.llamalog.summary import summarize
from app.not_found import NotFound


@dataclass
class CreatedAlbum:
    id: uuid.UUID
    artists_created: int = 0
    artists_linked: int = 0
    tracks_created: int = 0
    tracks_failed: int = 0
    failed_tracks: list[dict[str, Any]] = field(default_factory=list)


class VersionConflict(Exception):
    """The album changed since the editor loaded it: nothing was saved."""

    def __init__(self, current: AlbumRow, attempted: Mapping[str, object]) -> None:
        super().__init__(f"album changed since version {attempted.get('_version')}")
        self.current = current
        self.attempted = attempted


@dataclass(frozen=True)
class AlbumUpdate:
    changed: FieldChanges
    version: int
    log_id: int | None


async def create_album(
    album: AlbumInput,
    *,
    operation_path: str,
    sources: list[str],
    source: str | None = None,
    extra: Mapping[str, object] | None = None,
    api_call_count: int = 0,
) -> CreatedAlbum:
    """Create an album with its artists and tracks: CREATED row, then child rows for each."""
    values: dict[str, Any] = album.column_values()
    if not str(values.get("title") or "").strip():
        raise ValueError("an album needs a title")
    async with transaction():
        # Every artist of the album at once, in one order: see app/catalog/artists.py.
        await lock_artists([*album.artists, *(a for track in album.tracks for a in track.artists)])
        row = Album(**values, source=source or (sources[0] if sources else "USER"))
        await row.save()
        await record(
            entity_type="ALBUM",
            entity_id=row.id,
            operation=f"album:created:{operation_path}",
            category="CREATED",
            sources=sources,
            entity_label=album.title,
            metadata=extra,
            api_call_count=api_call_count,
        )
        result = CreatedAlbum(id=row.id)
        for position, artist in enumerate(album.artists):
            linked = await find_or_create_artist(
                artist, operation_path=operation_path, sources=sources, album_id=row.id
            )
            if linked.created:
                result.artists_created += 1
            else:
                result.artists_linked += 1
            await AlbumArtist.insert(
                AlbumArtist(
                    album=row.id,
                    artist=linked.id,
                    position=position,
                    join_phrase=artist.join_phrase,
                )
            ).on_conflict(action="DO NOTHING")
        if album.tracks:
            tracks = await create_tracks(row.id, album.tracks, operation_path=operation_path, sources=sources)
            result.tracks_created = len(tracks.created)
            result.tracks_failed = len(tracks.failed)
            result.failed_tracks = tracks.failed
            result.artists_created += tracks.artists_created
            result.artists_linked += tracks.artists_linked
        await refresh_album_state(row.id)
    return result


async def update_album(
    album_id: uuid.UUID,
    fields: dict[str, Any],
    *,
    expected_version: int,
    operation: str = "album:corrected:admin",
    sources: list[str] | None = None,
    lock: bool = True,
    metadata: dict[str, Any] | None = None,
    track_titles: dict[str, list[str]] | None = None,
) -> AlbumUpdate:
    """Apply field changes as one CORRECTED row with per-field before/after.

    Raises VersionConflict when the album moved past `expected_version`; a save that changes
    nothing writes nothing (no row, no version bump). `track_titles` (a correction's tracks, action →
    titles) puts the job's summary on the row.
    """
    clean = clean_album_fields(fields)
    async with transaction():
        current = await lock_album(album_id)
        if current is None:
            raise NotFound(f"There is no album {album_id}.")
        if current["version"] != expected_version:
            raise VersionConflict(current, {**clean, "_version": expected_version})
        changed: FieldChanges = {
            name: {"before": field_value(current, name), "after": value}
            for name, value in field_items(clean)
            if field_value(current, name) != value
        }
        if not changed:
            return AlbumUpdate(changed={}, version=current["version"], log_id=None)
        updates: ColumnUpdates = {getattr(Album, name): v["after"] for name, v in changed.items()}
        if lock:
            updates[Album.locked_fields] = sorted(set(current["locked_fields"] or []) | set(changed))
        try:
            version = await set_album(current, updates)
        except StaleVersion as lost:
            raise VersionConflict(current, {**clean, "_version": expected_version}) from lost
        quality_before, quality_after = await refresh_album_state(album_id)
        if track_titles is not None:
            quality = {"quality_before": quality_before, "quality_after": quality_after}
            summary = summarize(fields=changed, tracks=track_titles, **quality)
            metadata = {**(metadata or {}), "summary": summary}
        row = await record(
            entity_type="ALBUM",
            entity_id=album_id,
            operation=operation,
            category="CORRECTED",
            sources=sources or ["USER"],
            entity_label=clean.get("title") or current["title"],
            changes=changed,
            fields_enriched=sorted(changed),
            data_quality_before=quality_before,
            data_quality_after=quality_after,
            metadata=metadata,
        )
        return AlbumUpdate(changed=changed, version=version, log_id=row.id)


async def unlock_field(
    album_id: uuid.UUID, field_name: str, *, operation: str = "album:unlocked:admin"
) -> bool:
    """Let enrichment write `field_name` again: a CORRECTED row with locked_fields before/after.

    Returns False (and writes nothing) when the field was not locked.
    """
    async with transaction():
        current = await lock_album(album_id)
        if current is None:
            raise NotFound(f"There is no album {album_id}.")
        before = list(current["locked_fields"] or [])
        if field_name not in before:
            return False
        after = [name for name in before if name != field_name]
        await set_album(current, {Album.locked_fields: after})
        await record(
            entity_type="ALBUM",
            entity_id=album_id,
            operation=operation,
            category="CORRECTED",
            sources=["USER"],
            entity_label=current["title"],
            changes={"locked_fields": {"before": before, "after": after}},
            fields_enriched=["locked_fields"],
            metadata={"unlocked": field_name},
        )
        return True
