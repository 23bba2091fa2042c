"""Legacy EnrichmentLog rows read straight from a Postgres table (`llama import-log postgres://… --table`),
through a server-side cursor: memory stays flat whatever the table's size."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.llamalog.legacy_records import LegacyRow, RowError, Unreadable, parse_json, to_row

BATCH = 5000
# `table` or `schema.table`: a name, never SQL.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
DSN_SCHEMES = ("postgres://", "postgresql://")
_SNAPSHOT = re.compile(r"^[0-9A-F]+(-[0-9A-F]+)+$")  # what pg_export_snapshot() returns


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
            raw["metadata"] = parse_json(metadata)
        except json.JSONDecodeError:
            raw["metadata"] = RowError
    return raw


@dataclass(frozen=True)
class TableSource:
    """The legacy table in another (or this) Postgres database; rows in id order, numbered from 1."""

    dsn: str
    table: str
    # An exported snapshot (pg_export_snapshot) every reader takes, set by `pinned`: the shards' parts
    # are then cut from the same rows.
    snapshot: str | None = None

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

    @contextlib.asynccontextmanager
    async def pinned(self) -> AsyncIterator[TableSource]:
        """This table at one snapshot, held (with a transaction open on it) until the block ends."""
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            async with connection.transaction(readonly=True, isolation="repeatable_read"):
                snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
                yield dataclasses.replace(self, snapshot=snapshot)
        finally:
            await connection.close()

    async def rows(self, shard: tuple[int, int] | None = None) -> AsyncIterator[LegacyRow | Unreadable]:
        """With `shard` (k, n), the k-th of n runs of consecutive rows: each shard reads and decodes
        only its own (every n-th row of the whole table, read n times over, took an eighth of their
        time), and numbers them from their place in the table."""
        import asyncpg

        sql = f'SELECT * FROM {quoted_table(self.table)} ORDER BY "id"'
        connection = await asyncpg.connect(self.dsn)
        ahead: asyncio.Future[list[Any]] | None = None
        try:
            async with connection.transaction(readonly=True, isolation="repeatable_read"):
                if self.snapshot is not None:
                    if not _SNAPSHOT.match(self.snapshot):
                        raise ValueError(f"not a snapshot id: {self.snapshot!r}")
                    await connection.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
                number = 0
                if shard is not None:
                    k, n = shard
                    total = await connection.fetchval(f"SELECT COUNT(*) FROM {quoted_table(self.table)}")
                    size = -(-int(total) // n)
                    number = k * size
                    sql += f" OFFSET {number}" + (f" LIMIT {size}" if k < n - 1 else "")
                cursor = await connection.cursor(sql)
                # The next batch is read while this one is worked through (one in flight).
                ahead = asyncio.ensure_future(cursor.fetch(BATCH))
                while records := await ahead:
                    ahead = asyncio.ensure_future(cursor.fetch(BATCH))
                    for record in records:
                        number += 1
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
