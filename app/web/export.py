"""Exports of the log as files: /api/logs/export (the /logs filters) and a chain's export, streamed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from litestar.response import Stream
from litestar.types import ControllerRouterHandler

from app.jobs.exports import ExportRequest, logged_export
from app.llamalog.chain import chain_scope
from app.llamalog.context import get_current_job
from app.llamalog.export import MEDIA_TYPES, parse_format
from app.llamalog.filters import FilterError, parse_filter

# An export is every matching row: the paging parameters do not apply.
_NOT_FILTERS = ("format", "bom", "limit", "cursor")


def _bom(value: str | None) -> bool:
    if value in (None, "", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise FilterError(
        f"bom: {value!r}; use bom=1 for a UTF-8 byte order mark (spreadsheets), or leave it out"
    )


def _export(request: Request, what: str, scope: Any = None, newest_first: bool = True) -> Stream:
    params = {k: request.query_params.getall(k) for k in request.query_params.keys() if k not in _NOT_FILTERS}
    fmt = parse_format(request.query_params.get("format"))
    export = ExportRequest(
        flt=parse_filter(params),
        fmt=fmt,
        bom=_bom(request.query_params.get("bom")),
        newest_first=newest_first,
        scope=scope,
        what=what,
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = what.replace(":", "-").lower()
    return Stream(
        logged_export(export, get_current_job()),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "content-disposition": f'attachment; filename="llamalog-{name}-{stamp}.{fmt}"',
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


@get("/api/logs/export", name="api_logs_export", tags=["log"])
async def api_logs_export(request: Request) -> Stream:
    """Every row matching the /logs filters, newest first, as `format=csv` or `format=jsonl` (`bom=1`:
    a UTF-8 byte order mark for spreadsheets). Streamed; the export is a job on the record."""
    return _export(request, "logs")


@get("/api/chain/{entity_type:str}/{entity_id:str}/export", name="api_chain_export", tags=["log"])
async def api_chain_export(request: Request, entity_type: str, entity_id: str) -> Stream:
    """An entity's chain, oldest first, as CSV or JSON Lines, with the same filters."""
    scope = chain_scope(entity_type, entity_id)
    return _export(request, f"chain:{entity_type.upper()}:{entity_id}", scope=scope, newest_first=False)


ROUTES: list[ControllerRouterHandler] = [api_logs_export, api_chain_export]
