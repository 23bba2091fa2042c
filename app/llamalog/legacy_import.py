"""`llama import-log`: a legacy EnrichmentLog export read into llama_log, idempotently, as a job.

One pass over the source, memory flat whatever its size: each readable row becomes its llama_log
values (Python: category, stable ids, fitted strings) and goes, in batches, into a temporary staging
table (COPY on Postgres, executemany on SQLite). The roots are then worked out in SQL from the staged
parent links (one recursive walk, at most 10 steps, loops and deeper chains left as orphans), the
report's root figures counted there, and the rows written with one INSERT … SELECT … ON CONFLICT DO
NOTHING (the unique import_key keeps a second import from adding anything); on Postgres's partitioned
log, the months it has no partition for yet are written into new tables (in the same one pass) and
attached with their indexes built at once (`_Stage._write_through`). All in one transaction:
a dry run or a --strict refusal rolls it back, a killed import leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.db import engine
from app.llamalog import legacy_shards, partitions
from app.llamalog.legacy_records import FileSource
from app.llamalog.legacy_rules import MAX_PARENT_STEPS
from app.llamalog.legacy_staging import (
    STAGE_COLUMNS,
    STAGE_DDL,
    SYSTEM,
    VALUE_COLUMNS,
    LegacySource,
    Tally,
    copy_staged,
    fill,
)
from app.llamalog.outside_runs import OutsideRun, record_outside_run
from app.llamalog.partitions import ensure_partitions

__all__ = ["SYSTEM", "ImportReport", "LegacySource", "StrictRefusal", "import_log", "load_entity_map"]

JOB_KIND = "import-log"
LOOP = "loop"
TOO_DEEP = "deeper_than_10"

STAGE = "legacy_stage"
EDGES = "legacy_edge"
ROOTS = "legacy_root"
KEYS = "legacy_keys"
LATER = "legacy_later"  # the staged rows a row of the same key and time comes before (Postgres, new months)
# A staged row's root (`s`, joined to ROOTS as `r`): the walk's end for a start it walked from, else
# the start itself (no parent link), whose id is on the row as its job id or, without one, its parent's.
ROOT_KEY = "CASE WHEN r.start_key IS NULL THEN s.start_key ELSE r.root_key END"
ROOT_ID = "CASE WHEN r.start_key IS NULL THEN COALESCE(s.job_id, s.parent_job_id) ELSE r.root_id END"
MONTHS = "legacy_months"  # the partitioned table the new months are filled through (Postgres)


@dataclass
class ImportReport:
    rows: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    rows_without_any_job_id: int = 0
    rows_in_a_parent_loop: int = 0
    rows_deeper_than_10_levels: int = 0
    rows_whose_root_is_unknown: int = 0
    root_rows: int = 0
    distinct_job_ids: int = 0
    distinct_roots: int = 0
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    # Values the new schema does not know or cannot hold whole: kept in the row's metadata.
    kept_in_metadata: dict[str, int] = field(default_factory=dict)
    added: int = 0
    already_there: int = 0
    job_id: str | None = None

    def counts(self) -> dict[str, object]:
        """The figures fixtures/legacy/expected.json holds."""
        keys = (
            "rows",
            "categories",
            "rows_without_any_job_id",
            "rows_in_a_parent_loop",
            "rows_deeper_than_10_levels",
            "rows_whose_root_is_unknown",
            "root_rows",
            "distinct_job_ids",
            "distinct_roots",
        )
        return {key: getattr(self, key) for key in keys}


class StrictRefusal(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.unreadable)} unreadable rows: nothing imported (--strict)")
        self.report = report


class _RollBack(Exception):
    """Raised inside the import's transaction to end it with nothing written (dry run, --strict)."""


class _Stage:
    """The staging tables on the import transaction's own connection (asyncpg or aiosqlite)."""

    def __init__(self, connection: Any, postgres: bool, stage: str = STAGE) -> None:
        self.connection = connection
        self.postgres = postgres
        self.stage = stage  # the temporary STAGE, or a shared table the shards filled (legacy_shards)

    async def execute(self, sql: str) -> int:
        """Run `sql`; the number of rows it wrote."""
        if self.postgres:
            status: str = await self.connection.execute(sql)
            tail = status.rsplit(" ", 1)[-1]
            return int(tail) if tail.isdigit() else 0
        cursor = await self.connection.execute(sql)
        count = int(cursor.rowcount)
        await cursor.close()
        return count

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        if self.postgres:
            return [tuple(r) for r in await self.connection.fetch(sql)]
        cursor = await self.connection.execute(sql)
        rows = await cursor.fetchall()
        await cursor.close()
        # Piccolo's SQLite connections hand rows back as dicts.
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]

    async def create(self) -> None:
        if self.postgres:
            # JIT would compile the walk's and the write's plans (every partition of the log) for
            # seconds, longer than they run; the sorts and hashes over a large import fit in memory
            # (a million rows: ~150 MB; spilled to disk, the walk's took twice as long).
            await self.execute("SET LOCAL jit = off")
            await self.execute("SET LOCAL work_mem = '256MB'")
            await self.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the new months' indexes
            uuid_type = "uuid"
            columns = STAGE_DDL
            temp = "TEMP"
            tail = " ON COMMIT DROP"
        else:
            uuid_type = ""
            columns = ", ".join(STAGE_COLUMNS)
            temp, tail = "TEMP", ""
            for table in (STAGE, EDGES, ROOTS, KEYS):
                await self.execute(f"DROP TABLE IF EXISTS temp.{table}")
        if self.stage == STAGE:
            await self.execute(f"CREATE {temp} TABLE {self.stage} ({columns}){tail}")
        await self.execute(
            f"CREATE {temp} TABLE {EDGES} (job_key TEXT PRIMARY KEY, parent_key TEXT, "
            f"parent_id {uuid_type}){tail}"
        )
        # Postgres joins the roots by hashing: an index on them would only slow their writing (in
        # hash order, a million random inserts). SQLite joins by index.
        root_key = "" if self.postgres else " PRIMARY KEY"
        await self.execute(
            f"CREATE {temp} TABLE {ROOTS} (start_key TEXT{root_key}, root_key TEXT, "
            f"root_id {uuid_type}, cause TEXT){tail}"
        )

    async def add(self, batch: Sequence[tuple[Any, ...]]) -> None:
        if self.postgres:
            await copy_staged(self.connection, self.stage, batch)
            return
        marks = ", ".join("?" for _ in STAGE_COLUMNS)
        await self.connection.executemany(
            f"INSERT INTO {self.stage} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})", batch
        )

    async def resolve_roots(self) -> None:
        """Each start's root by the staged parent links, or its cause (loop, deeper than the limit)."""
        # The walk and the counts read only the keys: taken out of the wide staged rows (~1 KB each,
        # the values and the legacy copy) once, not scanned there six times.
        tail = " ON COMMIT DROP" if self.postgres else ""
        await self.execute(
            f"CREATE TEMP TABLE {KEYS}{tail} AS SELECT seq, job_key, parent_key, start_key, job_id, "
            f"parent_job_id, import_key, created_at FROM {self.stage}"
        )
        if self.postgres:  # the write joins the staged rows by these (its other columns: no use to plans)
            await self.execute(f"ANALYZE {self.stage} (seq, start_key, import_key, created_at)")
            await self.execute(f"ANALYZE {KEYS}")
        # Keys are grouped by their bytes, not sorted by the database's collation (slower, and no use).
        binary = ' COLLATE "C"' if self.postgres else ""
        # A job's parent link: from its first row in the source that has one (one sort of the rows
        # with a link; a join of their first places back to every row took three times as long).
        await self.execute(
            f"INSERT INTO {EDGES} (job_key, parent_key, parent_id) "
            f"SELECT job_key, parent_key, parent_job_id FROM (SELECT job_key, parent_key, parent_job_id, "
            f"row_number() OVER (PARTITION BY job_key{binary} ORDER BY seq) AS n FROM {KEYS} "
            f"WHERE job_key IS NOT NULL AND parent_key IS NOT NULL) f WHERE n = 1"
        )
        if self.postgres:
            await self.execute(f"ANALYZE {EDGES}")
        seen = (
            "position(',' || e.parent_key || ',' in w.path) > 0"
            if self.postgres
            else "instr(w.path, ',' || e.parent_key || ',') > 0"
        )
        # Only a start with a parent link is walked (a third of them in a large import): one without
        # is its own root, and the rows take it from their own keys (see ROOT_KEY and _new_rows).
        # Every job key with a link is a start (its rows' start is their job key), so the walk begins
        # at the links, one step up already. One row per step; a looped row or one MAX_PARENT_STEPS + 1
        # steps up is the walk's end (a loop is found before the limit is, as find_root does), else
        # the job with no parent.
        await self.execute(
            f"INSERT INTO {ROOTS} (start_key, root_key, root_id, cause) "
            f"WITH RECURSIVE walk(start_key, cur_key, cur_id, depth, path, looped) AS ("
            f"  SELECT job_key, parent_key, parent_id, 1, ',' || job_key || ',' || parent_key || ',', "
            f"    CASE WHEN parent_key = job_key THEN 1 ELSE 0 END FROM {EDGES} "
            f"  UNION ALL "
            f"  SELECT w.start_key, e.parent_key, e.parent_id, w.depth + 1, w.path || e.parent_key || ',', "
            f"    CASE WHEN {seen} THEN 1 ELSE 0 END "
            f"  FROM walk w JOIN {EDGES} e ON e.job_key = w.cur_key "
            f"  WHERE w.looped = 0 AND w.depth <= {MAX_PARENT_STEPS}) "
            f"SELECT start_key, "
            f"  CASE WHEN looped = 1 OR depth > {MAX_PARENT_STEPS} THEN NULL ELSE cur_key END, "
            f"  CASE WHEN looped = 1 OR depth > {MAX_PARENT_STEPS} THEN NULL ELSE cur_id END, "
            f"  CASE WHEN looped = 1 THEN '{LOOP}' WHEN depth > {MAX_PARENT_STEPS} THEN '{TOO_DEEP}' "
            f"    ELSE NULL END "
            f"FROM walk w WHERE w.looped = 1 OR w.depth > {MAX_PARENT_STEPS} "
            f"  OR NOT EXISTS (SELECT 1 FROM {EDGES} e WHERE e.job_key = w.cur_key)"
        )
        if self.postgres:
            await self.execute(f"ANALYZE {ROOTS}")

    async def count_roots(self, report: ImportReport) -> None:
        # One join of the rows to their roots for three figures; distinct values counted by hashing.
        ((loops, too_deep, root_rows),) = await self.fetch(
            f"SELECT COUNT(CASE WHEN r.cause = '{LOOP}' THEN 1 END), "
            f"COUNT(CASE WHEN r.cause = '{TOO_DEEP}' THEN 1 END), "
            f"COUNT(CASE WHEN {ROOT_KEY} = s.job_key THEN 1 END) "
            f"FROM {KEYS} s LEFT JOIN {ROOTS} r ON r.start_key = s.start_key"
        )
        report.rows_in_a_parent_loop = int(loops)
        report.rows_deeper_than_10_levels = int(too_deep)
        report.rows_whose_root_is_unknown = (
            report.rows_without_any_job_id + report.rows_in_a_parent_loop + report.rows_deeper_than_10_levels
        )
        ((jobs,),) = await self.fetch(
            f"SELECT COUNT(*) FROM (SELECT job_key FROM {KEYS} WHERE job_key IS NOT NULL GROUP BY job_key) j"
        )
        # The roots walked to, and the starts that are their own (no parent link, so not walked).
        ((roots,),) = await self.fetch(
            f"SELECT COUNT(*) FROM (SELECT root_key FROM {ROOTS} WHERE root_key IS NOT NULL "
            f"UNION SELECT start_key FROM {KEYS} s WHERE start_key IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {EDGES} e WHERE e.job_key = s.start_key)) r"
        )
        report.root_rows, report.distinct_job_ids, report.distinct_roots = (
            int(root_rows),
            int(jobs),
            int(roots),
        )

    def _new_rows(self, where: str) -> str:
        """The llama_log values of the staged rows `where` picks, each with its root, new keys only."""
        picked = ", ".join(f"s.{name}" for name in VALUE_COLUMNS)
        return (
            f"SELECT {picked}, {ROOT_ID} AS root_job_id, "
            f"CASE WHEN {ROOT_KEY} = s.job_key THEN TRUE ELSE FALSE END "
            f"AS is_root_job FROM {self.stage} s LEFT JOIN {ROOTS} r ON r.start_key = s.start_key "
            # A row is there when its key is, whatever its time says (a CSV and a JSON Lines export
            # of the same rows may write times a little apart): on Postgres's partitioned llama_log
            # the unique index is (import_key, created_at), so the key alone is checked here too.
            f"WHERE NOT EXISTS (SELECT 1 FROM llama_log l WHERE l.import_key = s.import_key) AND {where}"
        )

    async def write(self) -> int:
        """The staged rows into llama_log with their roots; the number added (the rest were there)."""
        columns = f"{', '.join(VALUE_COLUMNS)}, root_job_id, is_root_job"
        if self.postgres and await partitions.is_partitioned():
            await partitions.lock()  # to the import's end: no scheduler creates these months meanwhile
            if months := await self._new_months():
                return await self._write_through(months, columns)
        # No conflict target: the unique index is (import_key, created_at) on Postgres,
        # (import_key) on SQLite; DO NOTHING honours either (and a key twice in one file).
        return await self.execute(
            f"INSERT INTO llama_log ({columns}) {self._new_rows('TRUE')} ON CONFLICT DO NOTHING"
        )

    async def _new_months(self) -> list[partitions.Partition]:
        """The staged months the log has no partition for yet (and may get one: `fillable`)."""
        found = await self.fetch(
            f"SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') FROM {KEYS}"
        )
        months = sorted(m.replace(tzinfo=dt.UTC) for (m,) in found)
        return [partitions.partition_for(m) for m in months if await partitions.fillable(m)]

    async def _write_through(self, months: list[partitions.Partition], columns: str) -> int:
        """The staged rows of `months` written into each month's new table while it has no indexes
        yet, then attached (which builds them in one sorted pass; row by row through eleven indexes
        into the default partition, then moved out by ensure_partitions, was most of a large import's
        time); the others into llama_log. The number of rows added.

        One pass over the staged rows does it: for that moment the new tables are the partitions of a
        table of their own (MONTHS), whose default partition takes the others (one INSERT per month
        read the staged rows and joined every root once a month)."""
        rest = f"{MONTHS}_rest"
        await self.execute(
            f"CREATE TABLE {MONTHS} (LIKE {partitions.TABLE} INCLUDING DEFAULTS) "
            f"PARTITION BY RANGE (created_at)"
        )
        for month in months:
            await partitions.create_bare(month)
            await self.execute(f"ALTER TABLE {MONTHS} ATTACH PARTITION {month.name} {month.bounds}")
        await self.execute(f"CREATE TABLE {rest} PARTITION OF {MONTHS} DEFAULT")
        # No unique index on the new tables: the first row of a key at one time is kept, as ON CONFLICT
        # DO NOTHING keeps it; the later ones are found among the narrow keys.
        later_rows = await self.execute(
            f"CREATE TEMP TABLE {LATER} ON COMMIT DROP AS SELECT seq FROM (SELECT seq, row_number() "
            f'OVER (PARTITION BY import_key COLLATE "C", created_at ORDER BY seq) AS n FROM {KEYS}) k '
            f"WHERE n > 1"
        )
        await self.execute(f"ANALYZE {LATER}")  # so the planner knows they are few, and hashes the roots
        later = f"NOT EXISTS (SELECT 1 FROM {LATER} x WHERE x.seq = s.seq)" if later_rows else "TRUE"
        written = await self.execute(f"INSERT INTO {MONTHS} ({columns}) {self._new_rows(later)}")
        ((others,),) = await self.fetch(f"SELECT COUNT(*) FROM {rest}")
        # Before the new months are attached: every row was checked against the log as it was.
        moved = await self.execute(
            f"INSERT INTO llama_log ({columns}) SELECT {columns} FROM {rest} ON CONFLICT DO NOTHING"
        )
        for month in months:
            await self.execute(f"ALTER TABLE {MONTHS} DETACH PARTITION {month.name}")
            await partitions.attach(month)
        await self.execute(f"DROP TABLE {MONTHS}")  # and its default partition
        return written - int(others) + moved

    async def drop(self) -> None:
        if not self.postgres:
            for table in (STAGE, EDGES, ROOTS, KEYS):
                await self.execute(f"DROP TABLE IF EXISTS temp.{table}")


async def import_log(
    path: Path | LegacySource,
    *,
    dry_run: bool = False,
    strict: bool = False,
    entity_map: Mapping[str, str] | None = None,
    username: str | None = None,
) -> ImportReport:
    """Read the source once into a staging table, resolve roots in SQL, write every new row."""
    source: LegacySource = FileSource(path) if isinstance(path, Path) else path
    entity_ids = {old: str(uuid.UUID(new)) for old, new in (entity_map or {}).items()}
    report = ImportReport()
    job_id = uuid.uuid4()
    tally = Tally(entity_ids, job_id)
    started = dt.datetime.now(dt.UTC)
    db = engine()
    postgres = db.engine_type == "postgres"
    shards = await legacy_shards.shards_for(source) if postgres else 1
    async with legacy_shards.scratch(job_id, shards) as shared:
        if shared is not None:  # a large source, on Postgres: staged by processes side by side
            tally = await legacy_shards.stage(source, shared, shards, tally)
        try:
            async with db.transaction() as tx:
                stage = _Stage(tx.connection, postgres, shared or STAGE)
                await stage.create()
                if shared is None:
                    await fill(source.rows(), tally, stage.add)
                report.rows = tally.rows
                report.rows_without_any_job_id = tally.rows_without_any_job_id
                report.unreadable = tally.unreadable
                report.categories = dict(tally.categories)
                await stage.resolve_roots()
                await stage.count_roots(report)
                if strict and report.unreadable:
                    raise StrictRefusal(report)
                if dry_run:
                    raise _RollBack
                report.added = await stage.write()
                report.already_there = report.rows - report.added
                await stage.drop()
                report.kept_in_metadata = dict(tally.kept)
                report.job_id = str(job_id)
                await _record_job(report, source, job_id, started, strict, len(entity_ids), username)
        except _RollBack:
            pass
    if report.added:  # imported history gets month partitions of its own, not the default one
        await ensure_partitions()
    return report


async def _record_job(
    report: ImportReport,
    source: LegacySource,
    job_id: uuid.UUID,
    started: dt.datetime,
    strict: bool,
    mapped: int,
    username: str | None,
) -> None:
    summary = {
        **report.counts(),
        "added": report.added,
        "already_there": report.already_there,
        "unreadable": len(report.unreadable),
        "kept_in_metadata": report.kept_in_metadata,
    }
    await record_outside_run(
        OutsideRun(
            job_id=job_id,
            kind=JOB_KIND,
            actor="llama import-log",
            args=[source.name],
            kwargs={"strict": strict, "entity_map": mapped},
            progress=report.rows,
            triggered_by="manual",
            username=username or getpass.getuser(),
            started=started,
            finished=dt.datetime.now(dt.UTC),
            summary=summary,
        )
    )


def load_entity_map(path: Path) -> dict[str, str]:
    """A JSON object: legacy entity id → the UUID of the same album/artist/track in this catalog."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: an entity map is a JSON object of legacy id → UUID")
    return {str(k): str(v) for k, v in data.items()}
