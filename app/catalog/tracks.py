"""Track services: create, edit, delete and renumber, one log row per track."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.catalog.artists import find_or_create_artist
from app.catalog.records import TrackInput
from app.catalog.tables import Track, TrackArtist
from app.catalog.validation import ValidationError, clean_track_fields
from app.db import transaction
from app.llamalog.logger import record


@dataclass
class TrackResult:
    created: list[uuid.UUID] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    artists_created: int = 0
    artists_linked: int = 0


def _check(track: TrackInput) -> None:
    clean_track_fields(
        {
            "title": track.title,
            "track_number": track.track_number,
            "disc_number": track.disc_number,
        }
    )


async def create_tracks(
    album_id: Any,
    tracks: list[TrackInput] | tuple[TrackInput, ...],
    *,
    operation_path: str,
    sources: list[str],
) -> TrackResult:
    """Create each track with its CREATED row; a track that fails gets a FAILED row instead.

    Each track runs in a savepoint, so one bad track never takes the others with it.
    """
    result = TrackResult()
    async with transaction() as txn:
        for track in tracks:
            savepoint = await txn.savepoint()
            try:
                _check(track)
                track_id = await _insert_track(album_id, track)
                await _link_track_artists(track_id, album_id, track, operation_path, sources, result)
                await record(
                    entity_type="TRACK",
                    entity_id=track_id,
                    operation=f"track:created:{operation_path}",
                    category="CREATED",
                    child=True,
                    album_id=album_id,
                    sources=sources,
                    entity_label=track.title,
                    metadata={"disc_number": track.disc_number, "track_number": track.track_number},
                )
                await savepoint.release()
                result.created.append(track_id)
            except Exception as exc:  # noqa: BLE001 - any failure of one track is logged, not raised
                await savepoint.rollback_to()
                error = exc.errors if isinstance(exc, ValidationError) else str(exc)
                attempted = {
                    "title": track.title,
                    "disc_number": track.disc_number,
                    "track_number": track.track_number,
                    "musicbrainz_id": track.musicbrainz_id,
                }
                await record(
                    entity_type="TRACK",
                    entity_id=None,
                    operation=f"track:failed:{operation_path}",
                    category="FAILED",
                    status="FAILED",
                    child=True,
                    album_id=album_id,
                    sources=sources,
                    entity_label=track.title or None,
                    error_code=_error_code(exc),
                    error_message=str(error)[:2000],
                    metadata={"attempted": attempted},
                )
                result.failed.append({"attempted": attempted, "error": str(error)})
    return result


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "INVALID_TRACK"
    text = str(exc).lower()
    if "unique" in text or "duplicate" in text:
        return "DUPLICATE_POSITION"
    return type(exc).__name__.upper()[:50]


async def _insert_track(album_id: Any, track: TrackInput) -> uuid.UUID:
    row = Track(
        album=album_id,
        title=track.title.strip(),
        disc_number=track.disc_number,
        track_number=track.track_number,
        duration_ms=track.duration_ms,
        isrc=track.isrc,
        explicit=track.explicit,
        preview_url=track.preview_url,
        musicbrainz_id=track.musicbrainz_id,
        spotify_id=track.spotify_id,
    )
    await row.save()
    return row.id


async def _link_track_artists(
    track_id: uuid.UUID,
    album_id: Any,
    track: TrackInput,
    operation_path: str,
    sources: list[str],
    result: TrackResult,
) -> None:
    for position, artist in enumerate(track.artists):
        linked = await find_or_create_artist(
            artist,
            operation_path=operation_path,
            sources=sources,
            album_id=album_id,
            track_id=track_id,
            log_link=False,
        )
        if linked.created:
            result.artists_created += 1
        else:
            result.artists_linked += 1
        await TrackArtist.insert(
            TrackArtist(track=track_id, artist=linked.id, position=position)
        ).on_conflict(action="DO NOTHING")
