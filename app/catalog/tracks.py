"""Track services: create, edit, delete and renumber, one log row per track."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast

from app.catalog.artists import find_or_create_artist, lock_artists
from app.catalog.records import TrackInput
from app.catalog.rows import ColumnUpdates, FieldChanges, TrackRow, field_items, field_value
from app.catalog.state import refresh_album_state
from app.catalog.tables import Track, TrackArtist
from app.catalog.tracklist import parse_tracklist
from app.catalog.validation import ValidationError, clean_track_fields, typed_title
from app.catalog.versioned import StaleVersion, lock_album, lock_album_of_track, set_track
from app.db import transaction
from app.llamalog.logger import record
from app.not_found import NotFound


@dataclass
class TrackResult:
    created: list[uuid.UUID] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # of the created tracks, in order
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
    album_id: uuid.UUID,
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
        await lock_artists([a for track in tracks for a in track.artists])  # all at once, in one order
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
                    fields_enriched=fields_set(track),
                    data_quality_after=track_quality(track.duration_ms, track.musicbrainz_id, track.isrc),
                    metadata={
                        "disc_number": track.disc_number,
                        "track_number": track.track_number,
                        "musicbrainz_recording_id": track.musicbrainz_id,
                        "spotify_id": track.spotify_id,
                        "isrc": track.isrc,
                    },
                )
                await savepoint.release()
                result.created.append(track_id)
                result.titles.append(track.title)
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


# The columns a new track can be given, as its CREATED row names them in `fields_enriched`.
_SET_FIELDS = (
    "title", "disc_number", "track_number", "duration_ms", "isrc", "explicit", "preview_url",
    "musicbrainz_id", "spotify_id",
)  # fmt: skip


def fields_set(track: TrackInput) -> list[str]:
    """The fields a new track was given (a value, not None or blank)."""
    values = {name: getattr(track, name) for name in _SET_FIELDS}
    return [name for name, value in values.items() if value not in (None, "") and value is not False]


def track_quality(duration_ms: int | None, musicbrainz_id: str | None, isrc: str | None) -> str:
    """A track's data quality: HIGH with a length and a recording id or ISRC, MEDIUM with one of
    them, LOW with a title alone."""
    has_length = bool(duration_ms)
    has_id = bool(musicbrainz_id or isrc)
    if has_length and has_id:
        return "HIGH"
    return "MEDIUM" if has_length or has_id else "LOW"


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "INVALID_TRACK"
    text = str(exc).lower()
    if "unique" in text or "duplicate" in text:
        return "DUPLICATE_POSITION"
    return type(exc).__name__.upper()[:50]


async def _insert_track(album_id: uuid.UUID, track: TrackInput) -> uuid.UUID:
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
    album_id: uuid.UUID,
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
        )
        if linked.created:
            result.artists_created += 1
        else:
            result.artists_linked += 1
        await TrackArtist.insert(
            TrackArtist(track=track_id, artist=linked.id, position=position)
        ).on_conflict(action="DO NOTHING")


# Admin edits from the album page: each writes one row per track it touches, in the same transaction,
# then refreshes the album's derived state (tracks on file, broken reasons, data quality).

TRACK_FIELDS = ("title", "disc_number", "track_number", "duration_ms", "isrc")


class _Numbered(TypedDict):
    id: uuid.UUID
    title: str
    disc_number: int
    track_number: int
    version: int


class TrackConflict(Exception):
    """The track changed since the editor loaded it: nothing was saved."""

    def __init__(self, current: TrackRow, attempted: Mapping[str, object]) -> None:
        super().__init__(f"track changed since version {attempted.get('_version')}")
        self.current = current
        self.attempted = attempted


async def _position_taken(
    album_id: uuid.UUID, disc: int, number: int, exclude: uuid.UUID | None = None
) -> dict[str, Any] | None:
    query = Track.select(Track.id, Track.title).where(
        (Track.album == album_id) & (Track.disc_number == disc) & (Track.track_number == number)
    )
    if exclude is not None:
        query = query.where(Track.id != exclude)
    return await query.first()


async def add_track(
    album_id: uuid.UUID, fields: dict[str, Any], *, operation_path: str = "admin"
) -> uuid.UUID:
    """One track typed in by an admin: ValidationError (nothing saved) or its CREATED row."""
    raw = {name: fields.get(name) for name in TRACK_FIELDS if fields.get(name) not in (None, "")}
    raw.setdefault("title", "")
    raw.setdefault("disc_number", 1)
    if "track_number" not in raw:
        raise ValidationError({"track_number": "a whole number"})
    clean = clean_track_fields(raw, typed=True)
    async with transaction():
        if await lock_album(album_id) is None:
            raise NotFound(f"There is no album {album_id}.")
        taken = await _position_taken(album_id, clean["disc_number"], clean["track_number"])
        if taken:
            raise ValidationError(
                {"track_number": f"disc {clean['disc_number']} already has track {clean['track_number']}"}
            )
        result = await create_tracks(
            album_id, [TrackInput(**clean)], operation_path=operation_path, sources=["USER"]
        )
        if result.failed:
            raise ValidationError({"title": str(result.failed[0]["error"])})
        await refresh_album_state(album_id)
        return result.created[0]


async def update_track(
    track_id: uuid.UUID, fields: dict[str, Any], *, expected_version: int, operation_path: str = "admin"
) -> FieldChanges:
    """Change a track's fields: one CORRECTED row with per-field before/after; a no-op writes nothing."""
    clean = clean_track_fields({k: v for k, v in fields.items() if k in TRACK_FIELDS})
    async with transaction():
        current = await lock_album_of_track(track_id)
        if current is None:
            raise NotFound(f"There is no track {track_id}.")
        if current["version"] != expected_version:
            raise TrackConflict(current, {**clean, "_version": expected_version})
        changed: FieldChanges = {
            name: {"before": field_value(current, name), "after": value}
            for name, value in field_items(clean)
            if field_value(current, name) != value
        }
        if not changed:
            return {}
        if "title" in changed:  # a title that came in from upstream ("?") may stay as it is
            typed_title(str(changed["title"]["after"]))
        disc = int(clean.get("disc_number") or current["disc_number"])
        number = int(clean.get("track_number") or current["track_number"])
        if {"disc_number", "track_number"} & set(changed):
            taken = await _position_taken(current["album"], disc, number, exclude=track_id)
            if taken:
                raise ValidationError({"track_number": f"disc {disc} already has track {number}"})
        updates: ColumnUpdates = {getattr(Track, name): v["after"] for name, v in changed.items()}
        try:
            await set_track(current, updates)
        except StaleVersion as lost:
            raise TrackConflict(current, {**clean, "_version": expected_version}) from lost
        await record(
            entity_type="TRACK",
            entity_id=track_id,
            operation=f"track:corrected:{operation_path}",
            category="CORRECTED",
            album_id=current["album"],
            sources=["USER"],
            entity_label=clean.get("title") or current["title"],
            changes=changed,
            fields_enriched=sorted(changed),
        )
        return changed


async def delete_track(track_id: uuid.UUID, *, operation_path: str = "admin") -> TrackRow:
    """Delete a track: a CORRECTED `track:deleted:…` row keeps its values as `before`."""
    async with transaction():
        current = await lock_album_of_track(track_id)
        if current is None:
            raise NotFound(f"There is no track {track_id}.")
        await Track.delete().where(Track.id == track_id)
        quality_before, quality_after = await refresh_album_state(current["album"])
        changes: FieldChanges = {
            name: {"before": field_value(current, name), "after": None}
            for name in (*TRACK_FIELDS, "musicbrainz_id", "spotify_id")
            if field_value(current, name) is not None
        }
        await record(
            entity_type="TRACK",
            entity_id=track_id,
            operation=f"track:deleted:{operation_path}",
            category="CORRECTED",
            album_id=current["album"],
            sources=["USER"],
            entity_label=current["title"],
            changes=changes,
            fields_enriched=sorted(changes),
            data_quality_before=quality_before,
            data_quality_after=quality_after,
        )
        return current


async def renumber_tracks(album_id: uuid.UUID, *, operation_path: str = "admin") -> int:
    """Number each disc's tracks 1..n in their current order; one CORRECTED row per moved track."""
    async with transaction():
        if await lock_album(album_id) is None:
            raise NotFound(f"There is no album {album_id}.")
        tracks: list[_Numbered] = cast(
            list[_Numbered],
            await Track.select(Track.id, Track.title, Track.disc_number, Track.track_number, Track.version)
            .where(Track.album == album_id)
            .order_by(Track.disc_number)
            .order_by(Track.track_number)
            .order_by(Track.created_at),
        )
        moves: list[tuple[_Numbered, int]] = []
        per_disc: dict[int, int] = {}
        for track in tracks:
            per_disc[track["disc_number"]] = per_disc.get(track["disc_number"], 0) + 1
            if track["track_number"] != per_disc[track["disc_number"]]:
                moves.append((track, per_disc[track["disc_number"]]))
        # Two steps so no intermediate state breaks the unique (album, disc, number) index.
        for track, number in moves:
            await Track.update({Track.track_number: -number}).where(Track.id == track["id"])
        for track, number in moves:
            await set_track(track, {Track.track_number: number})
            await record(
                entity_type="TRACK",
                entity_id=track["id"],
                operation=f"track:corrected:{operation_path}",
                category="CORRECTED",
                child=True,
                album_id=album_id,
                sources=["USER"],
                entity_label=track["title"],
                changes={"track_number": {"before": track["track_number"], "after": number}},
                fields_enriched=["track_number"],
                metadata={"action": "renumber"},
            )
        return len(moves)


async def paste_tracks(album_id: uuid.UUID, text: str, *, operation_path: str = "admin") -> TrackResult:
    """A pasted tracklist (`1. Title 3:45` per line) → tracks; any bad or taken line saves nothing."""
    async with transaction():
        if await lock_album(album_id) is None:
            raise NotFound(f"There is no album {album_id}.")
        existing = await Track.select(Track.disc_number, Track.track_number).where(Track.album == album_id)
        taken = {(t["disc_number"], t["track_number"]) for t in existing}
        next_number = max((n for d, n in taken if d == 1), default=0) + 1
        parsed = parse_tracklist(text, start=next_number)
        clashes = [
            f"line {line}: disc {t.disc_number} already has track {t.track_number}"
            for line, t in parsed
            if (t.disc_number, t.track_number) in taken
        ]
        if clashes:
            raise ValidationError({"tracklist": "; ".join(clashes)})
        result = await create_tracks(
            album_id, [t for _, t in parsed], operation_path=operation_path, sources=["USER"]
        )
        await refresh_album_state(album_id)
        return result
