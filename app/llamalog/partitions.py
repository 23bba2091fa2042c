"""Monthly partitions of llama_log on Postgres (SQLite keeps one table).

llama_log is `PARTITION BY RANGE (created_at)` with one partition per calendar month (UTC), named
`llama_log_pYYYYMM`, and a default partition `llama_log_default` that catches any row whose month
has no partition yet (a row dated far in the past or future): a row is never refused for lack of a
partition, and `default_partition_rows()` says when strays are there (the dashboard shows it).

`ensure_partitions()` (the scheduler calls it at start and with every log maintenance run) creates the
partitions from last month to a few months ahead. Each run takes a transaction-scoped advisory lock
and creates with IF NOT EXISTS, so two schedulers never create the same partition twice. If the
default partition already holds rows of a month being created, those rows are moved into the new
partition in the same transaction (Postgres refuses a new partition whose rows sit in the default).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.db import engine, transaction

TABLE = "llama_log"
DEFAULT_PARTITION = "llama_log_default"
MONTHS_AHEAD = 3
# Rows in the default partition dated within this many years back are history (an imported legacy
# log), not strays: their months get partitions of their own. Older (or future) rows stay reported.
HISTORY_YEARS = 20
# pg_advisory_xact_lock key of partition maintenance (creating, dropping, moving strays): any constant
# works as long as every process uses the same one.
LOCK_KEY = 0x11A3A_106
_NAME = re.compile(r"^llama_log_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    start: dt.datetime  # inclusive, first instant of the month (UTC)
    end: dt.datetime  # exclusive, first instant of the next month

    def holds(self, alias: str | None = None) -> str:
        """SQL: the rows (of table `alias`, if given) dated in this month."""
        column = f"{alias}.created_at" if alias else "created_at"
        return f"{column} >= {_literal(self.start)} AND {column} < {_literal(self.end)}"

    @property
    def bounds(self) -> str:
        """SQL: this month as a partition's bounds."""
        return f"FOR VALUES FROM ({_literal(self.start)}) TO ({_literal(self.end)})"

    @property
    def check(self) -> str:
        """The name of the CHECK a bare month table holds until it is attached (see create_bare)."""
        return f"{self.name}_in_month"


def month_start(at: dt.datetime) -> dt.datetime:
    at = at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return dt.datetime(at.year, at.month, 1, tzinfo=dt.UTC)


def add_months(month: dt.datetime, n: int) -> dt.datetime:
    index = month.year * 12 + month.month - 1 + n
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


def partition_for(month: dt.datetime) -> Partition:
    start = month_start(month)
    return Partition(f"llama_log_p{start.year:04d}{start.month:02d}", start, add_months(start, 1))


def _literal(at: dt.datetime) -> str:
    """A timestamptz literal for DDL (partition bounds cannot be bound parameters)."""
    return "'" + at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00") + "'"


def is_postgres() -> bool:
    return engine().engine_type == "postgres"


async def is_partitioned() -> bool:
    """True when llama_log is a partitioned table (Postgres after the partitioning migration)."""
    if not is_postgres():
        return False
    rows = await engine().run_ddl(f"SELECT relkind::text AS kind FROM pg_class WHERE relname = '{TABLE}'")
    return bool(rows) and rows[0]["kind"] == "p"


async def monthly_partitions() -> list[Partition]:
    """The monthly partitions attached to llama_log, oldest first (empty when not partitioned)."""
    if not is_postgres():
        return []
    rows = await engine().run_ddl(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        f"WHERE i.inhparent = '{TABLE}'::regclass"
    )
    found = []
    for row in rows:
        match = _NAME.match(row["name"])
        if match:
            found.append(partition_for(dt.datetime(int(match[1]), int(match[2]), 1, tzinfo=dt.UTC)))
    return sorted(found, key=lambda p: p.start)


async def _exists(name: str) -> bool:
    rows = await engine().run_ddl(f"SELECT to_regclass('{name}') IS NOT NULL AS found")
    return bool(rows[0]["found"])


async def create_partition(partition: Partition) -> bool:
    """Create one month's partition (moving its strays out of the default); False if it was there.

    Call inside a transaction holding the advisory lock (`ensure_partitions` does).
    """
    db = engine()
    if await _exists(partition.name):
        return False
    strays = await db.run_ddl(f"SELECT COUNT(*) AS n FROM {DEFAULT_PARTITION} WHERE {partition.holds()}")
    if not strays[0]["n"]:
        await db.run_ddl(
            f"CREATE TABLE IF NOT EXISTS {partition.name} PARTITION OF {TABLE} {partition.bounds}"
        )
        return True
    await create_bare(partition)
    await db.run_ddl(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {partition.holds()} "
        f"RETURNING *) INSERT INTO {partition.name} SELECT * FROM moved"
    )
    await attach(partition)
    return True


async def create_bare(partition: Partition) -> None:
    """The month's table, not yet a partition and without indexes: rows go in faster than through a
    partition's indexes, and `attach` builds the indexes once, sorted, for all of them. Its CHECK on
    the month spares `attach` a scan of every row to prove they belong there."""
    await engine().run_ddl(
        f"CREATE TABLE {partition.name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
        f"CONSTRAINT {partition.check} CHECK ({partition.holds()}))"
    )


async def attach(partition: Partition) -> None:
    """A month table from create_bare into llama_log (building its indexes); its CHECK then goes, as
    the partition's own bounds say the same."""
    db = engine()
    await db.run_ddl(f"ALTER TABLE {TABLE} ATTACH PARTITION {partition.name} {partition.bounds}")
    await db.run_ddl(f"ALTER TABLE {partition.name} DROP CONSTRAINT {partition.check}")


async def fillable(month: dt.datetime, *, now: dt.datetime | None = None) -> bool:
    """True when `month` may get a partition filled in bulk before it is attached (`create_bare`, then
    `attach`): ensure_partitions would give it one (history within HISTORY_YEARS, or up to MONTHS_AHEAD
    ahead), it has none yet and the default partition holds none of its rows. Call holding `lock()`."""
    current = month_start(now or dt.datetime.now(dt.UTC))
    month = month_start(month)
    if not add_months(current, -12 * HISTORY_YEARS) <= month <= add_months(current, MONTHS_AHEAD):
        return False
    partition = partition_for(month)
    if await _exists(partition.name):
        return False
    rows = await engine().run_ddl(
        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE {partition.holds()}) AS found"
    )
    return not rows[0]["found"]


async def lock() -> None:
    """The partition maintenance lock, held until the current transaction ends."""
    await engine().run_ddl(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


async def ensure_partitions(months_ahead: int = MONTHS_AHEAD, *, now: dt.datetime | None = None) -> list[str]:
    """Partitions from last month to `months_ahead` months ahead; returns the names created.

    A no-op on SQLite and on an unpartitioned table. Safe to run from any number of processes.
    """
    if not await is_partitioned():
        return []
    current = month_start(now or dt.datetime.now(dt.UTC))
    months = [add_months(current, offset) for offset in range(-1, months_ahead + 1)]
    months += await _history_months(current)
    created = []
    for month in months:
        partition = partition_for(month)
        async with transaction():
            await lock()
            if await create_partition(partition):
                created.append(partition.name)
    return created


async def _history_months(current: dt.datetime) -> list[dt.datetime]:
    """Past months (within HISTORY_YEARS) that have rows waiting in the default partition."""
    since = _literal(add_months(current, -12 * HISTORY_YEARS))
    rows = await engine().run_ddl(
        "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month "
        f"FROM {DEFAULT_PARTITION} WHERE created_at >= {since} AND created_at < {_literal(current)} "
        "ORDER BY month"
    )
    return [month_start(r["month"]) for r in rows]


@dataclass(frozen=True)
class Strays:
    rows: int
    oldest: dt.datetime | None
    newest: dt.datetime | None


async def default_partition_strays() -> Strays:
    """The rows in the default partition (no month partition for their date) and their date range."""
    if not await is_partitioned():
        return Strays(0, None, None)
    rows = await engine().run_ddl(
        f"SELECT COUNT(*) AS n, MIN(created_at) AS oldest, MAX(created_at) AS newest FROM {DEFAULT_PARTITION}"
    )
    return Strays(int(rows[0]["n"]), rows[0]["oldest"], rows[0]["newest"])


async def default_partition_rows() -> int:
    """Rows caught by the default partition: 0 is healthy; more means rows dated outside every month
    partition (far past or future). 0 on SQLite. `llama audit` and the dashboard report it."""
    return (await default_partition_strays()).rows
