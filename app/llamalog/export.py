"""Export of the log as CSV or JSON Lines, streamed: a server-side cursor on Postgres, keyset batches
on SQLite, so memory stays flat whatever the number of rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import msgspec

from app.db import engine
from app.llamalog.filters import Cursor, FilterError, LogFilter
from app.llamalog.queries import PAGE_COLUMNS, decode_rows, page_query

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = [c._meta.db_column_name for c in PAGE_COLUMNS]
BATCH = 2000  # rows per fetch (SQLite) / prefetch (Postgres) and per chunk sent
# A cell a spreadsheet would run as a formula (CSV injection): shown as text with a leading '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARKUP = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def parse_format(value: str | None) -> str:
    """The `format` query parameter; FilterError (a 400) names it when it is missing or unknown."""
    fmt = (value or "").strip().lower()
    if fmt not in FORMATS:
        raise FilterError(f"format: {value!r} is not an export format; use one of {', '.join(FORMATS)}")
    return fmt


async def stream_rows(
    flt: LogFilter, *, newest_first: bool = True, scope: Any = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row matching `flt` (and `scope`), in page order, `BATCH` rows at a time."""
    if engine().engine_type == "postgres":
        async for batch in _postgres_cursor(flt, newest_first, scope):
            yield batch
        return
    flt = replace(flt, cursor=None, limit=BATCH)
    while True:
        query = await page_query(flt, newest_first=newest_first, scope=scope, limit=BATCH)
        rows = decode_rows(await engine().run_querystring(query))
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        flt = flt.with_cursor(Cursor(rows[-1]["created_at"], rows[-1]["id"]))


async def _postgres_cursor(
    flt: LogFilter, newest_first: bool, scope: Any
) -> AsyncIterator[list[dict[str, Any]]]:
    """One read-only snapshot read through a real cursor: Postgres hands over BATCH rows at a time."""
    query = await page_query(replace(flt, cursor=None), newest_first=newest_first, scope=scope)
    sql, args = query.compile_string(engine_type="postgres")
    db: Any = engine()
    pool = db.pool
    connection = await (pool.acquire() if pool is not None else db.get_new_connection())
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            cursor = await connection.cursor(sql, *args)
            while records := await cursor.fetch(BATCH):
                yield decode_rows(records)
    finally:
        if pool is not None:
            await pool.release(connection)
        else:
            await connection.close()


def _cell(value: Any) -> str:
    """A value as spreadsheet text: arrays and JSON as JSON text, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_encoder(*, bom: bool) -> Callable[[list[dict[str, Any]] | None], bytes]:
    """A function turning each batch into CSV bytes; called with None first, for the header."""

    def encode(rows: list[dict[str, Any]] | None) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if rows is None:
            writer.writerow(COLUMNS)
            return (("\ufeff" if bom else "") + out.getvalue()).encode()
        writer.writerows([_cell(row[name]) for name in COLUMNS] for row in rows)
        return out.getvalue().encode()

    return encode


_json = msgspec.json.Encoder()


def jsonl_encoder() -> Callable[[list[dict[str, Any]] | None], bytes]:
    """Each row as one JSON object per line, as /api/logs writes it (markup characters \\u-escaped)."""

    def encode(rows: list[dict[str, Any]] | None) -> bytes:
        if rows is None:
            return b""
        body = b"\n".join(_json.encode(row) for row in rows) + b"\n"
        for raw, escaped in _MARKUP:
            body = body.replace(raw, escaped)
        return body

    return encode


def encoder(fmt: str, *, bom: bool = False) -> Callable[[list[dict[str, Any]] | None], bytes]:
    return csv_encoder(bom=bom) if fmt == "csv" else jsonl_encoder()
