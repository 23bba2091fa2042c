"""Artist and track pages: what the catalog holds about them and their live timelines."""

from __future__ import annotations

import uuid

from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from app.catalog.entity_detail import artist_detail, track_detail
from app.not_found import NotFound
from app.web.templating import render


def _id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@get("/artists/{ident:str}", name="artist")
async def artist_page(request: Request, ident: str) -> Response[str]:
    """An artist, the albums they appear on, and their timeline."""
    artist_id = _id(ident)
    found = await artist_detail(artist_id) if artist_id else None
    if found is None:
        raise NotFound("There is no artist with that id.")
    artist, albums = found
    return render(request, "artist.html", {"artist": artist, "albums": albums})


@get("/tracks/{ident:str}", name="track")
async def track_page(request: Request, ident: str) -> Response[str]:
    """A track, its album and artists, and its timeline."""
    track_id = _id(ident)
    found = await track_detail(track_id) if track_id else None
    if found is None:
        raise NotFound("There is no track with that id.")
    track, artists = found
    return render(request, "track.html", {"track": track, "artists": artists})


ROUTES: list[ControllerRouterHandler] = [artist_page, track_page]
