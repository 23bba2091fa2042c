"""A large import on Postgres is staged by several processes (legacy_shards): forced here on the small
sample, it reports and writes exactly what one process does, leaves no staging table behind, and
drops the one a killed import left."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from app.config import get_settings
from app.llamalog import legacy_shards
from app.llamalog.legacy_import import import_log
from app.llamalog.legacy_table import TableSource
from app.llamalog.tables import LlamaLog
from tests.conftest import TEST_DB
from tests.llamalog.legacy_files import (
    LEGACY,
    LEGACY_TABLE,
    SAMPLE_ROWS,
    copies_of_the_sample,
    import_in_a_process,
    kill_then_import_again,
)

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="the shards share an UNLOGGED Postgres table")

EXPECTED = json.loads((LEGACY / "expected.json").read_text())


@pytest.fixture(autouse=True)
def every_source_is_large(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("IMPORT_SHARD_MIN_ROWS", "0")
    monkeypatch.setattr(legacy_shards.os, "cpu_count", lambda: 2)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("IMPORT_SHARD_MIN_ROWS")
    get_settings.cache_clear()


async def _scratch_tables() -> list[str]:
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        rows = await connection.fetch(
            "SELECT relname::text FROM pg_class WHERE relname LIKE 'legacy\\_stage\\_%'"
        )
    finally:
        await connection.close()
    return [r[0] for r in rows]


@pytest.mark.parametrize("name", ["enrichment_log.csv", "enrichment_log.jsonl"])
async def test_two_processes_import_the_sample_as_one_does(name: str) -> None:
    assert await legacy_shards.shards_for(legacy_shards_source(name)) == 2
    dry = await import_log(LEGACY / name, dry_run=True)
    assert dry.counts() == EXPECTED and dry.unreadable == []
    assert await LlamaLog.count() == 0
    report = await import_log(LEGACY / name)
    assert report.counts() == EXPECTED
    assert (report.added, report.already_there) == (EXPECTED["rows"], 0)
    imported = LlamaLog.import_key.is_not_null()
    assert await LlamaLog.count().where(imported, LlamaLog.is_root_job.eq(True)) == EXPECTED["root_rows"]
    again = await import_log(LEGACY / name)
    assert (again.added, again.already_there) == (0, EXPECTED["rows"])
    assert await _scratch_tables() == []


async def test_two_processes_import_a_table_as_one_does(legacy_table_loaded: str) -> None:
    source = TableSource(legacy_table_loaded, LEGACY_TABLE)
    assert await legacy_shards.shards_for(source) == 2
    report = await import_log(source)
    assert report.counts() == EXPECTED and report.unreadable == []
    assert (report.added, report.already_there) == (EXPECTED["rows"], 0)
    # The same rows as the file, each once: the file's import adds none.
    assert (await import_log(LEGACY / "enrichment_log.csv")).added == 0
    assert await _scratch_tables() == []


async def test_a_tables_shards_read_their_own_rows_at_one_snapshot(legacy_table_loaded: str) -> None:
    source = TableSource(legacy_table_loaded, LEGACY_TABLE)
    async with source.pinned() as pinned:
        connection = await asyncpg.connect(legacy_table_loaded)
        try:  # a row written (and committed) after the import began is not one of its rows
            await connection.execute(
                f'INSERT INTO {LEGACY_TABLE} ("id", "entityType", "operation", "createdAt") '
                f"VALUES ('0-new', 'ALBUM', 'album:create', now())"
            )
        finally:
            await connection.close()
        parts = [[row.line async for row in pinned.rows(shard=(k, 3))] for k in range(3)]
    assert [len(part) for part in parts] == [1351, 1351, 1350]
    assert sum(parts, []) == list(range(1, SAMPLE_ROWS + 1))  # numbered by their place in the table


def legacy_shards_source(name: str) -> legacy_shards.LegacySource:
    from app.llamalog.legacy_records import FileSource

    return FileSource(LEGACY / name)


async def test_unreadable_rows_are_reported_once_in_line_order(tmp_path: Path) -> None:
    lines = (LEGACY / "enrichment_log.jsonl").read_text().splitlines()[:40]
    lines[3] = "not json"
    lines[10] = json.dumps({**json.loads(lines[10]), "createdAt": "yesterday"})
    lines[11] = "[1, 2]"
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = await import_log(path, dry_run=True)
    assert report.unreadable == [
        (4, "not JSON"),
        (11, "not a timestamp: 'yesterday'"),
        (12, "not a JSON object"),
    ]
    assert report.rows == 37


async def test_a_killed_imports_staging_table_is_dropped_by_the_next(tmp_path: Path) -> None:
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await connection.execute(f"CREATE UNLOGGED TABLE {legacy_shards.SCRATCH_PREFIX}0123abcd (seq bigint)")
    finally:
        await connection.close()
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join((LEGACY / "enrichment_log.jsonl").read_text().splitlines()[:20]) + "\n")
    report = await import_log(path)
    assert report.added == 20
    assert await _scratch_tables() == []


@pytest.mark.slow
async def test_kill_9_during_a_sharded_import_then_again_leaves_every_row_once(tmp_path: Path) -> None:
    """The parent killed while its shards stage: nothing is written (one transaction), and the next
    import writes it all once and drops the staging table the killed one left."""
    path = tmp_path / "big.jsonl"
    rows = copies_of_the_sample(path, 5)
    proc = import_in_a_process(path)
    for _ in range(100):  # killed once its shards are staging
        await asyncio.sleep(0.1)
        if await _scratch_tables():
            break
    await asyncio.sleep(1.0)
    shards = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert shards, "the import runs its shards in processes of their own"
    await kill_then_import_again(proc, path, rows)
    assert await _scratch_tables() == []
    for _ in range(50):  # the orphaned shards end with their import, not wait for work forever
        if not any(Path(f"/proc/{pid}").exists() for pid in shards):
            break
        await asyncio.sleep(0.1)
    assert not [pid for pid in shards if Path(f"/proc/{pid}").exists()]
