"""Artist and track pages: what the catalog holds about them and their live timelines."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get

from app.catalog.tables import AlbumArtist, Artist, Track, TrackArtist
from app.web import render


def _not_found(request: Request, what: str) -> Response[str]:
    return render(
        request,
        "error.html",
        {"status": 404, "message": f"There is no {what} with that id."},
        status_code=404,
    )


def _id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@get("/artists/{ident:str}", name="artist")
async def artist_page(request: Request, ident: str) -> Response[str]:
    """An artist, the albums they appear on, and their timeline."""
    artist_id = _id(ident)
    artist = await Artist.select().where(Artist.id == artist_id).first() if artist_id else None
    if artist is None:
        return _not_found(request, "artist")
    albums = (
        await AlbumArtist.select(
            AlbumArtist.album.id.as_alias("id"),
            AlbumArtist.album.title.as_alias("title"),
            AlbumArtist.album.release_date.as_alias("release_date"),
            AlbumArtist.role,
        )
        .where(AlbumArtist.artist == artist_id)
        .order_by(AlbumArtist.album.release_date)
        .limit(200)
    )
    return render(request, "artist.html", {"artist": artist, "albums": albums})


@get("/tracks/{ident:str}", name="track")
async def track_page(request: Request, ident: str) -> Response[str]:
    """A track, its album and artists, and its timeline."""
    track_id = _id(ident)
    track = (
        await Track.select(*Track.all_columns(), Track.album.title.as_alias("album_title"))
        .where(Track.id == track_id)
        .first()
        if track_id
        else None
    )
    if track is None:
        return _not_found(request, "track")
    artists: list[dict[str, Any]] = await TrackArtist.select(
        TrackArtist.artist.id.as_alias("id"), TrackArtist.artist.name.as_alias("name"), TrackArtist.role
    ).where(TrackArtist.track == track_id)
    return render(request, "track.html", {"track": track, "artists": artists})


ROUTES: list[Any] = [artist_page, track_page]
