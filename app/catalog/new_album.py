"""Adding an album by hand: the form's fields, checked together, then create_album (a CREATED root row)."""

from __future__ import annotations

import uuid

from app.catalog.album_edits import ids_in_use
from app.catalog.albums import create_album
from app.catalog.records import AlbumInput, ArtistInput
from app.catalog.tables import Artist
from app.catalog.validation import ValidationError, clean_album_fields
from app.column_limits import column_problem

# (form field, label, input kind)
NEW_ALBUM_FIELDS = (
    ("title", "Title", "text"),
    ("artist", "Artist", "text"),
    ("release_date", "Release date", "text"),
    ("release_type", "Release type", "select"),
    ("musicbrainz_id", "MusicBrainz ID", "text"),
    ("spotify_id", "Spotify ID", "text"),
    ("discogs_id", "Discogs ID", "text"),
    ("barcode", "Barcode", "text"),
)


async def add_album_by_hand(values: dict[str, str]) -> uuid.UUID:
    """Check every field (ValidationError names each bad one; nothing saved), then create the album."""
    errors: dict[str, str] = {}
    artist = (values.get("artist") or "").strip()
    problem = column_problem(Artist.name, artist)
    if problem:
        errors["artist"] = problem
    album_fields = {k: v for k, v in values.items() if k != "artist"}
    try:
        clean = clean_album_fields(album_fields)
    except ValidationError as exc:
        errors.update(exc.errors)
        clean = {}
    errors.update(await ids_in_use(clean))
    if errors:
        raise ValidationError(errors)
    album = AlbumInput(**clean, artists=(ArtistInput(name=artist),) if artist else ())
    created = await create_album(album, operation_path="admin", sources=["USER"], source="USER")
    return created.id
