"""Load a planned dataset into a dedicated database: Postgres by COPY, SQLite by executemany.

    python -m bench.generate --size full   --database-url postgres://postgres@127.0.0.1:5432/llama_bench
    python -m bench.generate --size sqlite --database-url sqlite:///var/bench/llama_bench.sqlite3

The database is dropped and recreated, migrated with app.migrate, gets an admin user (the rows' user 1),
then the catalog and the log are copied in with the secondary indexes dropped and rebuilt afterwards
(much faster than maintaining them row by row). A `bench_meta` table records what was generated.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench import catalog
from bench.dataset import (
    ALBUM_ARTIST_COLUMNS,
    ALBUM_COLUMNS,
    ARTIST_COLUMNS,
    JOB_COLUMNS,
    LOG_COLUMNS,
    SIZES,
    TRACK_COLUMNS,
    Plan,
    log_rows,
    plan,
)

GENERATOR_VERSION = 1
ADMIN_PASSWORD = "bench-llama-pass"
TABLES = ("llama_log", "track", "album_artist", "album", "artist", "job")


def _loads(p: Plan) -> list[tuple[str, tuple[str, ...], Any]]:
    log = log_rows(p)
    if p.size.fill_rows:  # the SQL-made rows take ids 1..fill_rows, before the planned ones
        log = ((row[0] + p.size.fill_rows, *row[1:]) for row in log)
    return [
        ("artist", ARTIST_COLUMNS, catalog.artist_rows(p)),
        ("album", ALBUM_COLUMNS, catalog.album_rows(p)),
        ("album_artist", ALBUM_ARTIST_COLUMNS, catalog.album_artist_rows(p)),
        ("track", TRACK_COLUMNS, catalog.track_rows(p)),
        ("job", JOB_COLUMNS, catalog.job_rows(p)),
        ("llama_log", LOG_COLUMNS, log),
    ]


def fill_start(p: Plan) -> dt.datetime:
    return p.start - dt.timedelta(days=p.size.fill_days)


def meta(p: Plan) -> dict[str, Any]:
    shown = p.albums[p.showcase]
    return {
        "version": GENERATOR_VERSION,
        "size": p.size.name,
        "albums": p.size.albums,
        "log_rows": p.size.log_rows + p.size.fill_rows,
        "planned_rows": p.size.log_rows,
        "sql_rows": p.size.fill_rows,
        "chain_rows": p.size.chain_rows,
        "showcase_album": str(shown.id),
        "start": fill_start(p).isoformat(),
        "end": p.end.isoformat(),
        "admin": {"username": "admin", "password": ADMIN_PASSWORD},
    }


async def _prepare(database_url: str) -> None:
    """Migrate the (empty) database and create the admin user the rows point at."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["LLAMALOG_CONSOLE"] = "0"
    from app.auth.users import create_admin
    from app.migrate import migrate

    await migrate(quiet=True)
    await create_admin("admin", ADMIN_PASSWORD)


async def drop_database(database_url: str) -> None:
    """The database gone (Postgres: dropped, whoever is connected; SQLite: the file and its WAL)."""
    if database_url.startswith(("postgres://", "postgresql://")):
        await _on_server(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    else:
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


async def empty_database(database_url: str) -> None:
    """A new, empty Postgres database (dropped first if it was there): no tables, no migrations."""
    await drop_database(database_url)
    await _on_server(database_url, "CREATE DATABASE {}")


async def _on_server(database_url: str, *statements: str) -> None:
    """Run statements naming the database (as `{}`) from the server's `postgres` database."""
    import asyncpg

    base, name = database_url.rsplit("/", 1)
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        for statement in statements:
            await admin.execute(statement.format(f'"{name}"'))
    finally:
        await admin.close()


async def fresh_database(database_url: str) -> None:
    """An empty, migrated database with the admin user (Postgres: dropped and recreated)."""
    if database_url.startswith(("postgres://", "postgresql://")):
        await empty_database(database_url)
    else:
        await drop_database(database_url)
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    await _prepare(database_url)


async def load_postgres(database_url: str, p: Plan) -> dict[str, float]:
    import asyncpg

    await fresh_database(database_url)
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(database_url)
    try:
        # Secondary indexes (not those behind PRIMARY KEY / UNIQUE constraints) are rebuilt after the load.
        indexes = await conn.fetch(
            """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
               FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
               WHERE t.relname = ANY($1::text[])
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            list(TABLES),
        )
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        await _month_partitions(conn, p)
        for table, columns, rows in _loads(p):
            started = time.perf_counter()
            await conn.copy_records_to_table(table, columns=list(columns), records=rows)
            timings[f"copy_{table}"] = time.perf_counter() - started
        if p.size.fill_rows:
            started = time.perf_counter()
            await _fill_log(conn, p)
            timings["sql_fill_llama_log"] = time.perf_counter() - started
        started = time.perf_counter()
        for index in indexes:
            # A partitioned table's index reads back as `ON ONLY` (the parent alone): build it on
            # every partition, as the migration did.
            await conn.execute(index["ddl"].replace(" ON ONLY ", " ON "))
        timings["indexes"] = time.perf_counter() - started
        await conn.execute("SELECT setval('llama_log_id_seq', (SELECT max(id) FROM llama_log))")
        started = time.perf_counter()
        await conn.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
        await conn.execute("CREATE TABLE bench_meta (data text)")
        await conn.execute("INSERT INTO bench_meta VALUES ($1)", json.dumps(meta(p)))
    finally:
        await conn.close()
    return timings


async def _fill_log(conn: Any, p: Plan) -> None:
    """Set-based: `fill_rows` rows over the `fill_days` before the plan, made in one INSERT ... SELECT
    from generate_series (no row crosses the client): the planned rows (less the showcase album's, so
    its chain keeps its length) repeated in cycles, ids 1..fill_rows, created_at evenly spaced so that
    ids follow time, every row landing in its month's partition (indexes are built afterwards)."""
    fill = p.size.fill_rows
    others = [c for c in LOG_COLUMNS if c not in ("id", "created_at")]
    cols = ", ".join(others)
    await conn.execute(
        f"CREATE TEMP TABLE fill_src AS SELECT row_number() OVER (ORDER BY id) AS n, {cols} "  # noqa: S608
        "FROM llama_log WHERE album_id IS DISTINCT FROM $1",
        p.albums[p.showcase].id,
    )
    base = await conn.fetchval("SELECT COUNT(*) FROM fill_src")
    step_s = p.size.fill_days * 86400 / fill
    await conn.execute(
        f"""INSERT INTO llama_log (id, created_at, {cols})
            SELECT c * $1::bigint + s.n, $2::timestamptz + ((c * $1::bigint + s.n - 1) * $3::float8)
                   * interval '1 second', {", ".join(f"s.{c}" for c in others)}
            FROM generate_series(0, $4::int) AS c JOIN fill_src s ON c * $1::bigint + s.n <= $5::bigint""",  # noqa: S608
        base,
        fill_start(p),
        step_s,
        (fill - 1) // base,
        fill,
    )
    await conn.execute("DROP TABLE fill_src")


async def _month_partitions(conn: Any, p: Plan) -> None:
    """A partition for every month of the plan (as the scheduler keeps them), so no row lands in the
    default partition of the partitioned llama_log."""
    from app.llamalog.partitions import add_months, month_start, partition_for

    kind = await conn.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'llama_log'")
    if kind != "p":
        return
    month = month_start(fill_start(p))
    while month < p.end:
        part = partition_for(month)
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {part.name} PARTITION OF llama_log FOR VALUES FROM "
            f"('{part.start.isoformat()}') TO ('{part.end.isoformat()}')"
        )
        month = add_months(month, 1)


async def load_sqlite(database_url: str, p: Plan) -> dict[str, float]:
    import piccolo.engine.sqlite  # noqa: F401 - registers the adapters Piccolo reads back

    path = Path(database_url.removeprefix("sqlite:///"))
    await fresh_database(database_url)
    timings: dict[str, float] = {}
    conn = sqlite3.connect(path)
    try:
        marks = ",".join("?" * len(TABLES))
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            TABLES,
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f"DROP INDEX {name}")
        for table, columns, rows in _loads(p):
            started = time.perf_counter()
            cols = ", ".join(columns)
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({','.join('?' * len(columns))})", rows)
            conn.commit()
            timings[f"insert_{table}"] = time.perf_counter() - started
        started = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        timings["indexes"] = time.perf_counter() - started
        conn.execute("ANALYZE")
        conn.execute("CREATE TABLE bench_meta (data text)")
        conn.execute("INSERT INTO bench_meta VALUES (?)", (json.dumps(meta(p)),))
        conn.commit()
    finally:
        conn.close()
    return timings


async def generate(size_name: str, database_url: str, *, seed: int = 42) -> dict[str, Any]:
    """Build the dataset; returns its meta plus how long each step took."""
    started = time.perf_counter()
    p = plan(SIZES[size_name], seed=seed)
    planned = time.perf_counter() - started
    if database_url.startswith(("postgres://", "postgresql://")):
        timings = await load_postgres(database_url, p)
    else:
        timings = await load_sqlite(database_url, p)
    return {**meta(p), "seconds": round(time.perf_counter() - started, 1), "plan_s": round(planned, 2),
            **{k: round(v, 1) for k, v in timings.items()}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(generate(args.size, args.database_url, seed=args.seed))))


if __name__ == "__main__":
    main()
