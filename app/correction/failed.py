"""A correction that failed is on the record too: one FAILED row with its error_code, after the rollback."""

from __future__ import annotations

import uuid

from app.catalog.albums import VersionConflict
from app.catalog.tables import Album
from app.db import transaction
from app.llamalog.logger import record
from app.sources.errors import SourceError

SOURCES = {"musicbrainz": "MUSICBRAINZ", "discogs": "DISCOGS"}


def correction_error_code(exc: BaseException) -> str:
    """VERSION_CONFLICT, INVALID_CORRECTION (the picks or the key), or the upstream's typed code."""
    if isinstance(exc, VersionConflict):
        return "VERSION_CONFLICT"
    if isinstance(exc, SourceError):
        return str(exc.error_code)[:50]
    if isinstance(exc, ValueError):  # ApplyError and a malformed candidate key
        return "INVALID_CORRECTION"
    code = getattr(exc, "error_code", None)
    return str(code)[:50] if code else type(exc).__name__.upper()[:50]


async def record_failed_correction(
    album_id: uuid.UUID, key: str, exc: BaseException, *, take_fields: set[str], take_tracks: set[str]
) -> int | None:
    """The album's FAILED `album:failed:<source>` row (None when the album itself is gone)."""
    async with transaction():
        album = await Album.select(Album.title).where(Album.id == album_id).first()
        if album is None:
            return None
        path = key.partition(":")[0].lower()
        source = SOURCES.get(path)
        row = await record(
            entity_type="ALBUM",
            entity_id=album_id,
            operation=f"album:failed:{path if source else 'correction'}",
            category="FAILED",
            status="FAILED",
            sources=[source] if source else ["USER"],
            entity_label=album["title"],
            error_code=correction_error_code(exc),
            error_message=str(exc)[:2000] or type(exc).__name__,
            metadata={
                "action": "correction",
                "candidate_key": key,
                "picked_fields": sorted(take_fields),
                "picked_tracks": sorted(take_tracks),
            },
        )
    return int(row.id)
