"""A large import on Postgres, staged by several processes side by side.

The per-row work (typing, stable ids, fitting, the original kept in metadata) is Python and took one
core: about two thirds of a 1,000,000-row import. For a source of `IMPORT_SHARD_MIN_ROWS` (default
200,000) or more, one process per core stages its part into one shared UNLOGGED table (a table
source: its own run of consecutive rows, read at a snapshot all of them share; a file: every n-th
row, the others skipped before they are typed); the import's transaction
then works from that table as from its temporary one. The table lives outside that transaction, so
it is dropped when the import ends, and a killed import's table is dropped by the next import (an
advisory lock, held as long as its import runs, tells a live table from a stale one).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.config import get_settings
from app.llamalog.legacy_staging import STAGE_DDL, LegacySource, Tally, copy_staged, fill

MAX_SHARDS = 4
SCRATCH_PREFIX = "legacy_stage_"


async def shards_for(source: LegacySource) -> int:
    """How many processes to stage `source` with: 1 for a small one or a single core."""
    cores = min(os.cpu_count() or 1, MAX_SHARDS)
    if cores < 2:
        return 1
    return cores if await source.rows_hint() >= get_settings().import_shard_min_rows else 1


async def _connect() -> Any:
    import asyncpg

    return await asyncpg.connect(get_settings().database_url)


@asynccontextmanager
async def scratch(job_id: uuid.UUID, shards: int) -> AsyncIterator[str | None]:
    """The shared staging table for `shards` > 1 (None otherwise), dropped when the import ends."""
    if shards < 2:
        yield None
        return
    name = SCRATCH_PREFIX + job_id.hex
    connection = await _connect()
    try:
        await _drop_stale(connection)
        await connection.execute("SELECT pg_advisory_lock(hashtext($1))", name)  # until this connection ends
        await connection.execute(f"CREATE UNLOGGED TABLE {name} ({STAGE_DDL})")
        try:
            yield name
        finally:
            await connection.execute(f"DROP TABLE IF EXISTS {name}")
    finally:
        await connection.close()


async def _drop_stale(connection: Any) -> None:
    """Staging tables of imports that are no longer running (killed before they could drop them)."""
    pattern = SCRATCH_PREFIX.replace("_", "\\_") + "%"
    for (name,) in await connection.fetch(
        "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname LIKE $1", pattern
    ):
        if await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", name):
            await connection.execute(f'DROP TABLE IF EXISTS "{name}"')
            await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", name)


@dataclass(frozen=True)
class Shard:
    source: LegacySource
    index: int
    count: int
    table: str
    entity_ids: Mapping[str, str]
    import_job: uuid.UUID


async def stage(source: LegacySource, table: str, shards: int, tally: Tally) -> Tally:
    """Every row of `source` staged into `table` by `shards` processes; `tally` with their figures."""
    async with source.pinned() as pinned:
        parts = await _run_shards(pinned, table, shards, tally)
    for part in parts:
        tally.merge(part)
    return tally


async def _run_shards(source: LegacySource, table: str, shards: int, tally: Tally) -> list[Tally]:
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")  # no copy of this process's pool and event loop
    with ProcessPoolExecutor(
        max_workers=shards, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, _shard_main, Shard(source, k, shards, table, tally.entity_ids, tally.import_job)
                )
                for k in range(shards)
            )
        )
    return list(parts)


def _exit_with(parent: int) -> None:
    """A shard ends when the import that started it does: killed (kill -9), its parent cannot tell it
    to, and it would wait for work forever (seen: orphans asleep on the pool's queue)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-the-import", daemon=True).start()


def _shard_main(shard: Shard) -> Tally:
    return asyncio.run(_fill_shard(shard))


async def _fill_shard(shard: Shard) -> Tally:
    connection = await _connect()
    tally = Tally(shard.entity_ids, shard.import_job)

    async def add(batch: list[tuple[Any, ...]]) -> None:
        await copy_staged(connection, shard.table, batch)

    try:
        await fill(shard.source.rows(shard=(shard.index, shard.count)), tally, add)
    finally:
        await connection.close()
    return tally
