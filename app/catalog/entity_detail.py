"""What the artist and track pages show: an artist with its albums, a track with its album and artists."""

from __future__ import annotations

import uuid
from typing import cast

from app.catalog.rows import ArtistAlbum, ArtistRow, TrackCredit, TrackWithAlbum
from app.catalog.tables import AlbumArtist, Artist, Track, TrackArtist


async def artist_detail(artist_id: uuid.UUID) -> tuple[ArtistRow, list[ArtistAlbum]] | None:
    """The artist row and the albums they appear on (release date order, at most 200); None if absent."""
    artist = cast(ArtistRow | None, await Artist.select().where(Artist.id == artist_id).first())
    if artist is None:
        return None
    albums = cast(
        list[ArtistAlbum],
        await AlbumArtist.select(
            AlbumArtist.album.id.as_alias("id"),
            AlbumArtist.album.title.as_alias("title"),
            AlbumArtist.album.release_date.as_alias("release_date"),
            AlbumArtist.role,
        )
        .where(AlbumArtist.artist == artist_id)
        .order_by(AlbumArtist.album.release_date)
        .limit(200),
    )
    return artist, albums


async def track_detail(track_id: uuid.UUID) -> tuple[TrackWithAlbum, list[TrackCredit]] | None:
    """The track row (with its album's title) and its credited artists; None if absent."""
    track = cast(
        TrackWithAlbum | None,
        await Track.select(*Track.all_columns(), Track.album.title.as_alias("album_title"))
        .where(Track.id == track_id)
        .first(),
    )
    if track is None:
        return None
    artists = cast(
        list[TrackCredit],
        await TrackArtist.select(
            TrackArtist.artist.id.as_alias("id"), TrackArtist.artist.name.as_alias("name"), TrackArtist.role
        ).where(TrackArtist.track == track_id),
    )
    return track, artists
