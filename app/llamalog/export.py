"""Export of the log as CSV or JSON Lines, streamed: a server-side cursor on Postgres, keyset batches
on SQLite, so memory stays flat whatever the number of rows."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

import msgspec
from piccolo.columns import JSON, Array, Boolean, Column, Text, Timestamptz, Varchar
from piccolo.columns.combination import Or, Where

from app.db import engine
from app.llamalog.filters import Cursor, FilterError, LogFilter
from app.llamalog.queries import PAGE_COLUMNS, page_query

if TYPE_CHECKING:
    from piccolo.engine.postgres import PostgresEngine

# A row as the driver hands it over (asyncpg Record or dict): read by column name.
Row = Mapping[str, object]

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
    flt: LogFilter, *, newest_first: bool = True, scope: Where | Or | None = None
) -> AsyncIterator[list[Row]]:
    """Every row matching `flt` (and `scope`), in page order, `BATCH` rows at a time. JSON columns
    stay JSON text: an export writes them out as they are, without a parse and a dump per row."""
    if engine().engine_type == "postgres":
        async for batch in _postgres_cursor(flt, newest_first, scope):
            yield batch
        return
    flt = replace(flt, cursor=None, limit=BATCH)
    while True:
        query = await page_query(flt, newest_first=newest_first, scope=scope, limit=BATCH)
        rows: list[Row] = await engine().run_querystring(query)
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        flt = flt.with_cursor(Cursor(cast(dt.datetime, rows[-1]["created_at"]), cast(int, rows[-1]["id"])))


async def _postgres_cursor(
    flt: LogFilter, newest_first: bool, scope: Where | Or | None
) -> AsyncIterator[list[Row]]:
    """One read-only snapshot read through a real cursor: Postgres hands over BATCH rows at a time."""
    query = await page_query(replace(flt, cursor=None), newest_first=newest_first, scope=scope)
    sql, args = query.compile_string(engine_type="postgres")
    db = cast("PostgresEngine", engine())
    pool = db.pool
    connection = await (pool.acquire() if pool is not None else db.get_new_connection())
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            cursor = await connection.cursor(sql, *args)
            while records := await cursor.fetch(BATCH):
                yield records
    finally:
        if pool is not None:
            await pool.release(connection)
        else:
            await connection.close()


def _defused(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _as_text(value: object) -> str:
    return "" if value is None else _defused(cast(str, value))


def _as_str(value: object) -> str:
    return "" if value is None else str(value)


def _as_time(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else cast(dt.datetime, value).isoformat()


def _as_bool(value: object) -> str:
    return "" if value is None else ("true" if value else "false")


def _as_json(value: object) -> str:
    """Arrays and JSON as JSON text (a JSON column is text already)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _defused(value)
    return _defused(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _converter(column: Column) -> Callable[[object], str]:
    if isinstance(column, (JSON, Array)):
        return _as_json
    if isinstance(column, Timestamptz):
        return _as_time
    if isinstance(column, Boolean):
        return _as_bool
    if isinstance(column, (Varchar, Text)):
        return _as_text
    return _as_str  # ids, numbers, UUIDs


_CONVERTERS = [(c._meta.db_column_name, _converter(c)) for c in PAGE_COLUMNS]
_JSON_COLUMNS = [c._meta.db_column_name for c in PAGE_COLUMNS if isinstance(c, JSON)]


def csv_encoder(*, bom: bool) -> Callable[[list[Row] | None], bytes]:
    """A function turning each batch into CSV bytes; called with None first, for the header."""

    def encode(rows: list[Row] | None) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if rows is None:
            writer.writerow(COLUMNS)
            return (("\ufeff" if bom else "") + out.getvalue()).encode()
        writer.writerows([convert(row[name]) for name, convert in _CONVERTERS] for row in rows)
        return out.getvalue().encode()

    return encode


_json = msgspec.json.Encoder()


def _jsonl_row(row: Row) -> dict[str, object]:
    out = dict(row)
    for name in _JSON_COLUMNS:
        value = out[name]
        if isinstance(value, str):
            out[name] = msgspec.Raw(value.encode())  # JSON text, written as it is
    return out


def jsonl_encoder() -> Callable[[list[Row] | None], bytes]:
    """Each row as one JSON object per line, as /api/logs writes it (markup characters \\u-escaped)."""

    def encode(rows: list[Row] | None) -> bytes:
        if rows is None:
            return b""
        body = b"\n".join(_json.encode(_jsonl_row(row)) for row in rows) + b"\n"
        for raw, escaped in _MARKUP:
            body = body.replace(raw, escaped)
        return body

    return encode


# Postgres writes the CSV itself (COPY … TO STDOUT): the same cells as csv_encoder, at the server's
# speed. Formulas defused, arrays as JSON text, times as ISO 8601 (UTC), booleans as true/false.
# The first character by its code (= + - @ tab CR): an integer test, no substring and no collation
# per cell (~7% of the COPY's time at 100,000 rows, the same bytes out).
_DEFUSE = "CASE WHEN ascii({x}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {x} ELSE {x} END"


def _pg_cell(column: Column) -> str:
    name = f'"{column._meta.db_column_name}"'
    if isinstance(column, Array):
        return _DEFUSE.format(x=f"array_to_json({name})::text")
    if isinstance(column, JSON):
        return _DEFUSE.format(x=f"{name}::text")
    if isinstance(column, Timestamptz):
        return f"to_json({name}) #>> '{{}}'"
    if isinstance(column, Boolean):
        return f"CASE WHEN {name} THEN 'true' WHEN NOT {name} THEN 'false' END"
    if isinstance(column, (Varchar, Text)):
        return _DEFUSE.format(x=name)
    return name


_PG_CSV_SELECT = ", ".join(f'{_pg_cell(c)} AS "{c._meta.db_column_name}"' for c in PAGE_COLUMNS)
_QUEUED_CHUNKS = 16  # COPY output waiting for the client: at most this many chunks (~64 kB each)
# Sent in pieces of about this size: each piece costs the server (and the client) a trip through the
# response stream, whatever its size; at COPY's own chunk size that trip was most of the export's time.
_SEND_BYTES = 1 << 20


@dataclass
class ExportCount:
    """Rows written so far (the export's job row reports it)."""

    rows: int = 0


async def postgres_csv(
    flt: LogFilter,
    count: ExportCount,
    *,
    bom: bool,
    newest_first: bool = True,
    scope: Where | Or | None = None,
) -> AsyncIterator[bytes]:
    """The CSV export straight from `COPY (query) TO STDOUT`, chunk by chunk, with backpressure."""
    query = await page_query(replace(flt, cursor=None), newest_first=newest_first, scope=scope)
    sql, args = query.compile_string(engine_type="postgres")
    copy_sql = f"SELECT {_PG_CSV_SELECT} FROM ({sql}) AS page"
    db = cast("PostgresEngine", engine())
    pool = db.pool
    connection = await (pool.acquire() if pool is not None else db.get_new_connection())
    chunks: asyncio.Queue[bytes | bytearray | None] = asyncio.Queue(maxsize=_QUEUED_CHUNKS)

    async def copy() -> None:
        try:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                await connection.execute("SET LOCAL TimeZone = 'UTC'")
                # JIT compiles the query for every partition of the log first: slower, not faster.
                await connection.execute("SET LOCAL jit = off")
                status = await connection.copy_from_query(
                    copy_sql, *args, output=chunks.put, format="csv", header=True
                )
            count.rows = int(str(status).rsplit(" ", 1)[-1])
        finally:
            await chunks.put(None)

    if bom:
        yield "\ufeff".encode()
    task = asyncio.create_task(copy())
    try:
        piece = bytearray()
        while (chunk := await chunks.get()) is not None:
            piece += chunk
            if len(piece) >= _SEND_BYTES:
                yield bytes(piece)
                piece.clear()
        if piece:
            yield bytes(piece)
        await task  # its error, if COPY failed
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if pool is not None:
            await pool.release(connection)
        else:
            await connection.close()


async def export_bytes(
    flt: LogFilter,
    fmt: str,
    count: ExportCount,
    *,
    bom: bool = False,
    newest_first: bool = True,
    scope: Where | Or | None = None,
) -> AsyncGenerator[bytes, None]:
    """The export's bytes: CSV from Postgres' own COPY, otherwise rows from the cursor, encoded here."""
    if fmt == "csv" and engine().engine_type == "postgres":
        async for chunk in postgres_csv(flt, count, bom=bom, newest_first=newest_first, scope=scope):
            yield chunk
        return
    encode = encoder(fmt, bom=bom)
    header = encode(None)
    if header:
        yield header
    async for batch in stream_rows(flt, newest_first=newest_first, scope=scope):
        count.rows += len(batch)
        yield encode(batch)


def encoder(fmt: str, *, bom: bool = False) -> Callable[[list[Row] | None], bytes]:
    return csv_encoder(bom=bom) if fmt == "csv" else jsonl_encoder()
