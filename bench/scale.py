"""The partitioned log at scale (`make bench-scale`; Postgres only; not in CI).

    DATABASE_URL=postgres://…/llama_bench_scale python -m bench.scale --name scale --rounds 60

On a database made by `bench.generate --size scale` (10M rows over two years, one partition a month)
or a smaller size: table and index sizes; /logs page 1, filtered, deep (90 % down) and a chain of 500
against the framework floor (bench.pages, the same harness as the 1M bench); the prune of a month by
DELETE in batches + VACUUM side by side with the prune of the next month by DETACH + DROP of its
partition (`prune_month`; both committed: the two months are gone afterwards); then the conversion
of the whole table, partitioned → one table (the migration backwards) → partitioned (forwards), each
timed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import json
import os
import time
from typing import Any

from bench import pages

MIGRATION = "2026-12-07T12:00:00:000000"
TARGET_DROP_VS_DELETE = 100.0


async def _conn() -> Any:
    import asyncpg

    return await asyncpg.connect(os.environ["DATABASE_URL"])


async def sizes() -> dict[str, Any]:
    conn = await _conn()
    try:
        row = await conn.fetchrow(
            """SELECT COUNT(*) AS partitions, SUM(pg_table_size(inhrelid)) AS table_bytes,
                      SUM(pg_indexes_size(inhrelid)) AS index_bytes
               FROM pg_inherits WHERE inhparent = 'llama_log'::regclass"""
        )
        indexes = await conn.fetch(
            """SELECT pi.indexrelid::regclass::text AS name,
                      (SELECT SUM(pg_relation_size(i.inhrelid)) FROM pg_inherits i
                        WHERE i.inhparent = pi.indexrelid) AS bytes
               FROM pg_index pi WHERE pi.indrelid = 'llama_log'::regclass ORDER BY 2 DESC"""
        )
        rows = await conn.fetchval("SELECT COUNT(*) FROM llama_log")
    finally:
        await conn.close()
    mb = 1024 * 1024
    return {
        "rows": rows,
        "partitions": int(row["partitions"]),
        "table_mb": round(float(row["table_bytes"] or 0) / mb, 1),
        "indexes_mb": round(float(row["index_bytes"] or 0) / mb, 1),
        "per_index_mb": {r["name"]: round(float(r["bytes"] or 0) / mb, 1) for r in indexes},
    }


async def prune_month() -> dict[str, Any]:
    """The prune's two ways of removing a month's expired rows, side by side on two neighbouring full
    months of about the same size, both committed:
    - by DELETE, as the prune removes rows from a month that must stay (`retention.delete_batches`:
      bounded batches, each its own transaction), then the VACUUM that actually frees the rows and
      their entries in the eleven indexes (a DELETE alone only marks them dead);
    - by DETACH + DROP of the partition, as the prune removes a month whose rows have all expired
      (counted first without the parent's lock; `retention.detach_partition`: the index probe for rows
      of a kept category and the DETACH under that lock; `retention.drop_detached`: the DROP).
    Per row, as the months differ a little in size. Also one plain DELETE statement of the dropped
    month's very rows (timed, then rolled back): the least a DELETE can cost, its work left to VACUUM.
    Months older than the deleted one (the oldest, partly filled) are dropped first, untimed, so the
    batches remove that month's rows and no others."""
    from app.db import engine
    from app.llamalog import retention
    from app.llamalog.partitions import monthly_partitions
    from app.llamalog.tables import CATEGORIES

    listed = [p for p in await monthly_partitions() if p.end <= dt.datetime.now(dt.UTC)]
    conn = await _conn()
    db: Any = engine()
    # The prune runs in a worker with a warm pool, as the DELETE below runs on a warm connection: time
    # the work, not the connecting of a new backend and the loading of 35 partitions' catalog entries.
    await db.start_connection_pool(min_size=1, max_size=2)
    try:
        await db.run_ddl("SELECT COUNT(*) FROM (SELECT 1 FROM llama_log LIMIT 1) AS warm")
        # Two full months (not the oldest, partly filled; not one a previous run emptied or dropped).
        full = [p for p in listed[1:] if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {p.name})")]  # noqa: S608
        deleted_month, dropped_month = full[0], full[1]
        everything = {c: deleted_month.start for c in CATEGORIES}
        older_removed = 0
        for older in (p for p in listed if p.end <= deleted_month.start):
            older_removed += sum((await retention.drop_partition(older, everything) or {}).values())
        older_rows = await conn.fetchval(
            "SELECT COUNT(*) FROM llama_log WHERE created_at < $1", deleted_month.start
        )
        assert older_rows == 0, f"{older_rows} rows older than {deleted_month.name} (the default partition?)"
        delete_counts = await _category_counts(conn, deleted_month.name)
        delete_rows = sum(delete_counts.values())
        started = time.perf_counter()
        counts = await _category_counts(conn, dropped_month.name)
        count_s = time.perf_counter() - started
        drop_rows = sum(counts.values())

        tx = conn.transaction()
        await tx.start()
        started = time.perf_counter()
        same = await conn.execute(
            "DELETE FROM llama_log WHERE created_at >= $1 AND created_at < $2",
            dropped_month.start,
            dropped_month.end,
        )
        same_delete_s = time.perf_counter() - started
        await tx.rollback()
        assert same == f"DELETE {drop_rows}", (same, drop_rows)

        await conn.execute(f"VACUUM (ANALYZE) {deleted_month.name}")  # a clean start for the timed vacuum
        report = retention.PruneReport(dry_run=False, policy={})
        started = time.perf_counter()
        for category in delete_counts:
            await retention.delete_batches(report, category, deleted_month.end, retention.BATCH_ROWS)
        delete_s = time.perf_counter() - started
        assert report.rows_deleted == delete_rows, (report.rows_deleted, delete_rows)
        started = time.perf_counter()
        await conn.execute(f"VACUUM {deleted_month.name}")
        vacuum_s = time.perf_counter() - started

        # Every category in the month expired at its end; the others count as kept (the probe runs).
        cutoffs = {c: dropped_month.end for c in counts}
        started = time.perf_counter()
        detached = await retention.detach_partition(dropped_month, cutoffs, counts)
        detach_s = time.perf_counter() - started
        assert detached is not None
        await retention.drop_detached(detached)
        drop_s = time.perf_counter() - started
    finally:
        await conn.close()
        await db.close_connection_pool()
    per_row_delete = (delete_s + vacuum_s) / delete_rows
    per_row_drop = drop_s / drop_rows
    return {
        "deleted_month": deleted_month.start.strftime("%Y-%m"),
        "delete_rows": delete_rows,
        "delete_batches": report.batches,
        "dropped_month": dropped_month.start.strftime("%Y-%m"),
        "rows": drop_rows,
        "older_rows_dropped_first": older_removed,
        "removed_rows": older_removed + delete_rows + drop_rows,
        "count_s": round(count_s, 3),
        "same_rows_delete_s": round(same_delete_s, 3),
        "delete_s": round(delete_s, 3),
        "vacuum_s": round(vacuum_s, 3),
        "detach_s": round(detach_s, 4),
        "drop_s": round(drop_s, 4),
        "delete_us_per_row": round(per_row_delete * 1e6, 2),
        "drop_us_per_row": round(per_row_drop * 1e6, 3),
        "ratio": round(per_row_delete / per_row_drop, 1),
        "statement_ratio": round(same_delete_s / drop_s, 1),
        "lock_ratio": round(same_delete_s / detach_s, 1),
        "with_count_ratio": round(per_row_delete / ((drop_s + count_s) / drop_rows), 1),
    }


async def _category_counts(conn: Any, table: str) -> dict[str, int]:
    rows = await conn.fetch(f"SELECT category, COUNT(*) AS n FROM {table} GROUP BY category")  # noqa: S608
    return {r["category"]: int(r["n"]) for r in rows}


async def conversion() -> dict[str, Any]:
    from piccolo.apps.migrations.commands.backwards import run_backwards
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.migrate import use_piccolo_conf

    use_piccolo_conf()
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        back = await run_backwards(app_name="llamalog", migration_id=MIGRATION, auto_agree=True)
        unpartition_s = time.perf_counter() - started
        assert back.success, back.message
        started = time.perf_counter()
        forward = await run_forwards(app_name="llamalog", migration_id="all")
        partition_s = time.perf_counter() - started
        assert forward.success, forward.message
    return {"to_one_table_s": round(unpartition_s, 1), "to_partitions_s": round(partition_s, 1)}


def prune_row(prune: dict[str, Any], where: str) -> dict[str, Any]:
    return {
        "benchmark": (
            f"Prune one month ({where}): DETACH + DROP of its partition "
            f"({prune['dropped_month']}, {prune['rows']:,} rows) vs the prune's DELETE in batches + VACUUM "
            f"of a neighbouring month ({prune['deleted_month']}, {prune['delete_rows']:,} rows), per row"
        ),
        "measured": (
            f"{prune['ratio']}x faster: DROP {prune['drop_s'] * 1000:.1f} ms "
            f"({prune['drop_us_per_row']} µs a row) vs DELETE {prune['delete_s']:.2f} s in "
            f"{prune['delete_batches']} batches + VACUUM {prune['vacuum_s']:.2f} s "
            f"({prune['delete_us_per_row']} µs a row); with the month's count before the lock "
            f"({prune['count_s'] * 1000:.0f} ms): {prune['with_count_ratio']}x; llama_log locked for "
            f"the DETACH alone: {prune['detach_s'] * 1000:.1f} ms. One DELETE statement of the dropped "
            f"month's rows (rolled back; it only marks them, VACUUM does the rest): "
            f"{prune['same_rows_delete_s'] * 1000:.0f} ms, {prune['statement_ratio']}x the DROP"
        ),
        "target": f"≥ {TARGET_DROP_VS_DELETE:.0f}x",
        "met": prune["ratio"] >= TARGET_DROP_VS_DELETE,
    }


def run_prune_only(name: str) -> dict[str, Any]:
    """Only the month prune (drops two months of the database)."""
    before = asyncio.run(sizes())
    prune = asyncio.run(prune_month())
    where = f"Postgres, {before['rows']:,} rows in {before['partitions']} partitions"
    return {"name": name, "sizes": before, "prune_month": prune, "table": [prune_row(prune, where)]}


def run(name: str, rounds: int, warmup: int) -> dict[str, Any]:
    before = asyncio.run(sizes())
    paged = pages.run(f"{name}-pages", rounds, warmup, 0.9)
    prune = asyncio.run(prune_month())
    convert = asyncio.run(conversion())
    after = asyncio.run(sizes())
    assert after["rows"] == before["rows"] - prune["removed_rows"], (before, after, prune)
    where = f"Postgres, {before['rows']:,} rows in {before['partitions']} partitions"
    table = [
        {**row, "benchmark": row["benchmark"].replace("Postgres, ", "partitioned, Postgres, ")}
        for row in paged["table"]
    ]
    table += [
        prune_row(prune, where),
        {
            "benchmark": f"Conversion of the whole log to monthly partitions ({after['rows']:,} rows)",
            "measured": f"{convert['to_partitions_s']} s (back to one table: {convert['to_one_table_s']} s)",
            "target": "(reported)",
            "met": None,
        },
        {
            "benchmark": f"llama_log size ({where})",
            "measured": f"table {before['table_mb']} MB, indexes {before['indexes_mb']} MB",
            "target": "(reported)",
            "met": None,
        },
    ]
    return {
        "name": name,
        "database": "postgres",
        "sizes": before,
        "sizes_after": after,
        "pages": {
            k: paged[k] for k in ("dataset", "deep_depth", "cases", "comparisons", "queries_per_request")
        },
        "queries_constant": paged["queries_constant"],
        "queries_per_request": paged["queries_per_request"],
        "prune_month": prune,
        "conversion": convert,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "table": table,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="scale")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--prune-only", action="store_true", help="only the month prune (drops 2 months)")
    args = parser.parse_args()
    if args.prune_only:
        print(json.dumps(run_prune_only(args.name)))
    else:
        print(json.dumps(run(args.name, args.rounds, args.warmup)))


if __name__ == "__main__":
    main()
