"""The framework floor: what any page on this stack costs at least.

A bare Litestar app (no auth, no CSRF, no middleware, no ORM query building) whose handlers run the
same SQL as the app's log pages through the same engine and driver (Piccolo's engine: asyncpg pool
on Postgres, aiosqlite on SQLite), then render the rows through a minimal Jinja template, or return
them as JSON in the shape /api/chain uses. Serve it with uvicorn:

    uvicorn bench.floor:create_app --factory
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Response, get
from piccolo.querystring import QueryString

from app.config import get_settings
from app.db import engine
from app.llamalog.filters import Cursor, parse_when
from app.llamalog.queries import PAGE_COLUMNS

COLUMNS = ", ".join(f'"{c._meta.db_column_name}"' for c in PAGE_COLUMNS)
TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


def _decode_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for name in ("changes", "metadata"):
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
    return rows


async def _fetch(where: list[str], args: list[Any], newest_first: bool, limit: int) -> list[dict[str, Any]]:
    order = "DESC" if newest_first else "ASC"
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    sql = (
        f'SELECT {COLUMNS} FROM "llama_log"{clause}'
        f' ORDER BY "created_at" {order}, "id" {order} LIMIT {limit + 1}'
    )
    # SQLite columns come back typed too: Piccolo's connection converts by declared column type.
    records = await engine().run_querystring(QueryString(sql, *args))
    return _decode_json([dict(record) for record in records])


async def _log_page(
    category: str | None, since: str | None, until: str | None, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    where: list[str] = []
    args: list[Any] = []
    if category:
        where.append('"category" IN ({})')
        args.append(category)
    if since:
        where.append('"created_at" >= {}')
        args.append(parse_when("since", since))
    if until:
        where.append('"created_at" < {}')
        args.append(parse_when("until", until))
    if cursor:
        at = Cursor.decode(cursor)
        where.append('("created_at", "id") < ({}, {})')
        args.extend([at.created_at, at.id])
    rows = await _fetch(where, args, newest_first=True, limit=50)
    more = len(rows) > 50
    rows = rows[:50]
    return rows, Cursor(rows[-1]["created_at"], rows[-1]["id"]).encode() if more else None


@get("/logs")
async def logs(
    category: str | None = None, since: str | None = None, until: str | None = None, cursor: str | None = None
) -> Response[str]:
    """The /logs page's rows, newest first, in a minimal template."""
    rows, next_cursor = await _log_page(category, since, until, cursor)
    body = TEMPLATES.get_template("floor_logs.html").render(rows=rows, next_cursor=next_cursor)
    return Response(body, media_type="text/html")


@get("/logs.json")
async def logs_json(
    category: str | None = None, since: str | None = None, until: str | None = None, cursor: str | None = None
) -> dict[str, Any]:
    """The same rows as JSON (the floor for /api/logs)."""
    rows, next_cursor = await _log_page(category, since, until, cursor)
    return {"rows": rows, "count": len(rows), "next_cursor": next_cursor, "next": None}


@get("/chain/{album_id:str}")
async def album_chain(album_id: str, limit: int = 500) -> dict[str, Any]:
    """An album's chain, oldest first, as JSON."""
    rows = await _fetch(['"album_id" = {}'], [album_id], newest_first=False, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(rows[-1]["created_at"], rows[-1]["id"]).encode() if more else None
    return {"rows": rows, "count": len(rows), "next_cursor": next_cursor, "next": None}


async def _start_pool() -> None:
    if get_settings().is_postgres:
        db: Any = engine()
        await db.start_connection_pool(min_size=1, max_size=10)


async def _close_pool() -> None:
    db: Any = engine()
    if get_settings().is_postgres and db.pool is not None:
        await db.close_connection_pool()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[logs, logs_json, album_chain],
        on_startup=[_start_pool],
        on_shutdown=[_close_pool],
        debug=False,
    )
