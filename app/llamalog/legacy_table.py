"""Legacy EnrichmentLog rows read straight from a Postgres table (`llama import-log postgres://… --table`),
through a server-side cursor: memory stays flat whatever the table's size."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.llamalog.legacy_records import LegacyRow, RowError, Unreadable, to_row

BATCH = 5000
# `table` or `schema.table`: a name, never SQL.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
DSN_SCHEMES = ("postgres://", "postgresql://")


def is_dsn(text: str) -> bool:
    return text.startswith(DSN_SCHEMES)


def quoted_table(name: str) -> str:
    if not _TABLE.match(name):
        raise ValueError(f"--table: {name!r} is not a table name (letters, digits, _; schema.table allowed)")
    return ".".join(f'"{part}"' for part in name.split("."))


def without_password(dsn: str) -> str:
    """The DSN as it may be printed and kept on the job row."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _raw(record: Mapping[str, object]) -> dict[str, Any]:
    raw = dict(record)
    metadata = raw.get("metadata")
    if isinstance(metadata, str) and metadata:  # json/jsonb come back as text
        try:
            raw["metadata"] = json.loads(metadata)
        except json.JSONDecodeError:
            raw["metadata"] = RowError
    return raw


@dataclass(frozen=True)
class TableSource:
    """The legacy table in another (or this) Postgres database; rows in id order, numbered from 1."""

    dsn: str
    table: str

    @property
    def name(self) -> str:
        return f"{without_password(self.dsn)} table {self.table}"

    async def rows_hint(self) -> int:
        """The table's row estimate (pg_class.reltuples), 0 when it has never been counted."""
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            estimate = await connection.fetchval(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)", quoted_table(self.table)
            )
        finally:
            await connection.close()
        return max(int(estimate or 0), 0)

    async def rows(self, shard: tuple[int, int] | None = None) -> AsyncIterator[LegacyRow | Unreadable]:
        import asyncpg

        sql = f'SELECT * FROM {quoted_table(self.table)} ORDER BY "id"'
        k, n = shard or (0, 1)
        connection = await asyncpg.connect(self.dsn)
        ahead: asyncio.Future[list[Any]] | None = None
        try:
            async with connection.transaction(readonly=True, isolation="repeatable_read"):
                cursor = await connection.cursor(sql)
                number = 0
                # The next batch is read while this one is worked through (one in flight).
                ahead = asyncio.ensure_future(cursor.fetch(BATCH))
                while records := await ahead:
                    ahead = asyncio.ensure_future(cursor.fetch(BATCH))
                    for record in records:
                        number += 1
                        if (number - 1) % n != k:
                            continue
                        raw = _raw(record)
                        if raw.get("metadata") is RowError:
                            yield Unreadable(number, "metadata is not JSON")
                            continue
                        try:
                            yield to_row(number, raw, from_csv=False)
                        except RowError as exc:
                            yield Unreadable(number, str(exc))
        finally:
            if ahead is not None and not ahead.done():  # the reader stopped early
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError):
                    await ahead
            await connection.close()
