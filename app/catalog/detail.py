"""One album with its artists and tracks, for the album page and /api/albums/{id}: three queries."""

from __future__ import annotations

import uuid
from typing import cast

from app.catalog.listing import artists_by_album
from app.catalog.rows import AlbumDetail, AlbumRow, AlbumTrack
from app.catalog.state import decode_reasons
from app.catalog.tables import Album, Track

TRACK_COLUMNS = [
    Track.id,
    Track.title,
    Track.disc_number,
    Track.track_number,
    Track.duration_ms,
    Track.isrc,
    Track.explicit,
    Track.musicbrainz_id,
    Track.spotify_id,
    Track.version,
]


async def album_detail(album_id: uuid.UUID) -> AlbumDetail | None:
    """The album row plus `artists`, `tracks` (disc, number order) and `reasons`; None if missing."""
    album = cast(AlbumRow | None, await Album.select().where(Album.id == album_id).first())
    if album is None:
        return None
    artists = (await artists_by_album([album["id"]]))[album["id"]]
    tracks = cast(
        list[AlbumTrack],
        await Track.select(*TRACK_COLUMNS)
        .where(Track.album == album_id)
        .order_by(Track.disc_number)
        .order_by(Track.track_number),
    )
    return AlbumDetail(
        **album, artists=artists, tracks=tracks, reasons=decode_reasons(album["broken_reasons"])
    )
