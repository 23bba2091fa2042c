"""Read-only JSON for the log: /api/logs and /api/chain/{entity_type}/{entity_id}."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get

from app.inert_json import inert_json
from app.llamalog.chain import chain_scope
from app.llamalog.filters import parse_filter
from app.llamalog.queries import LogPage, fetch_page, list_logs


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
