"""Read-only JSON: /api/albums (the /albums filters, cursor), /api/albums/{id}, /api/logs, /api/chain."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.types import ControllerRouterHandler

from app.catalog.detail import album_detail
from app.catalog.listing import list_albums, parse_album_query
from app.catalog.rows import AlbumDetail, ListedAlbum
from app.correction.matching import current_matching
from app.correction.queue import match_of, verdict_of
from app.correction.why import stored_candidates
from app.llamalog.chain import chain_scope
from app.llamalog.filters import parse_filter
from app.llamalog.queries import LogPage, fetch_page, list_logs
from app.not_found import NotFound
from app.web.inert_json import inert_json


def _album_json(row: ListedAlbum | AlbumDetail) -> dict[str, object]:
    out: dict[str, object] = {k: v for k, v in row.items() if k not in ("broken_reasons", "reasons")}
    out["broken_reasons"] = row["reasons"]
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
        raise NotFound(f"There is no album {album_id}.")
    return _album_json(album)


@get("/api/albums/{album_id:uuid}/candidates", name="api_album_candidates", middleware=[inert_json])
async def api_album_candidates(album_id: uuid.UUID) -> dict[str, Any]:
    """The album's candidates found ahead, best first, with the match strength and "why this match":
    per component weight, fraction, points and both raw values; for #2 on, where each lost against #1."""
    matching = await current_matching()
    match = await match_of(album_id)
    if match is None and await album_detail(album_id) is None:
        raise NotFound(f"There is no album {album_id}.")
    verdict = verdict_of(match)
    return {
        "album_id": str(album_id),
        "strength": verdict.strength.value if verdict else "pending",
        "words": verdict.words(matching) if verdict else "not searched yet",
        "candidates": await stored_candidates(album_id),
    }


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params.keys()}


def page_json(page: LogPage, request: Request) -> dict[str, Any]:
    next_url = None
    if page.next_cursor:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", page.next_cursor.encode()))
        next_url = f"{request.url.path}?{urlencode(params)}"
    return {
        "rows": page.rows,
        "count": len(page.rows),
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
        "next": next_url,
    }


@get("/api/logs", name="api_logs", tags=["log"], middleware=[inert_json])
async def api_logs(request: Request) -> dict[str, Any]:
    """LlamaLog rows, newest first, with the /logs filters."""
    page = await list_logs(parse_filter(_params(request)))
    return page_json(page, request)


@get("/api/chain/{entity_type:str}/{entity_id:str}", name="api_chain", tags=["log"], middleware=[inert_json])
async def api_chain(request: Request, entity_type: str, entity_id: str) -> dict[str, Any]:
    """Every row about an entity and what hangs off it, oldest first (created_at, id)."""
    scope = chain_scope(entity_type, entity_id)
    page = await fetch_page(parse_filter(_params(request)), newest_first=False, scope=scope)
    return page_json(page, request)


ROUTES: list[ControllerRouterHandler] = [api_albums, api_album, api_album_candidates, api_logs, api_chain]
