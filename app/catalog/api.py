"""Read-only JSON: /api/albums (the /albums search, filters and cursor) and /api/albums/{id}."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException

from app.catalog.detail import album_detail
from app.catalog.listing import list_albums, parse_album_query
from app.inert_json import inert_json


def _album_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("broken_reasons", "reasons")}
    out["broken_reasons"] = row.get("reasons", [])
    return out


@get("/api/albums", name="api_albums", middleware=[inert_json])
async def api_albums(request: Request) -> dict[str, Any]:
    """Albums matching `q`, `reason`, `quality`, `source`, `enrichment`, `broken`; `cursor` pages on."""
    params = dict(request.query_params)
    broken = str(params.pop("broken", "")).lower() in ("1", "true", "yes")
    aq = parse_album_query(params, broken_only=broken)
    page = await list_albums(aq)
    next_url = aq.next_url("/api/albums", page.next_cursor) if page.next_cursor else None
    return {
        "albums": [_album_json(row) for row in page.rows],
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
        "next": f"{next_url}&broken=1" if next_url and broken else next_url,
    }


@get("/api/albums/{album_id:uuid}", name="api_album", middleware=[inert_json])
async def api_album(album_id: uuid.UUID) -> dict[str, Any]:
    """One album with its artists (credit order) and tracks (disc, number order)."""
    album = await album_detail(album_id)
    if album is None:
        raise NotFoundException(f"there is no album {album_id}")
    return _album_json(album)


ROUTES: list[Any] = [api_albums, api_album]
