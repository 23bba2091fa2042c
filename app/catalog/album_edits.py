"""One album field saved from the album page: IDs must stay unique, then update_album logs it."""

from __future__ import annotations

import uuid

from app.catalog.albums import AlbumUpdate, update_album
from app.catalog.rows import CleanAlbum, field_value
from app.catalog.tables import Album
from app.catalog.validation import EDITABLE_ALBUM_FIELDS, ValidationError, clean_album_fields

UNIQUE_IDS = ("musicbrainz_id", "spotify_id")


async def ids_in_use(clean: CleanAlbum, *, exclude: uuid.UUID | None = None) -> dict[str, str]:
    """{field: message} for each unique ID in `clean` that another album already has."""
    errors = {}
    for name in UNIQUE_IDS:
        if clean.get(name):
            query = Album.select(Album.id, Album.title).where(
                getattr(Album, name) == field_value(clean, name)
            )
            if exclude is not None:
                query = query.where(Album.id != exclude)
            owner = await query.first()
            if owner:
                errors[name] = f"already used by “{owner['title']}” ({owner['id']})"
    return errors


async def save_album_field(
    album_id: uuid.UUID, name: str, value: object, *, expected_version: int
) -> AlbumUpdate:
    """Validate and save one field (locking it); VersionConflict or ValidationError save nothing."""
    if name not in EDITABLE_ALBUM_FIELDS:
        raise ValidationError({name or "field": "is not an editable field"})
    clean = clean_album_fields({name: value})
    taken = await ids_in_use(clean, exclude=album_id)
    if taken:
        raise ValidationError(taken)
    return await update_album(album_id, {name: value}, expected_version=expected_version)
