"""Backfill job.arg from the first positional argument of existing rows (JSON, per engine) and
the composite indexes the /jobs keyset pages and filters use (raw SQL like the other composite
ones; IF NOT EXISTS makes a re-run safe).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-12-07T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill job.arg; indexes for the /jobs filters"

INDEXES = {
    "job_created_id_idx": "(created_at, job_id)",
    "job_kind_created_idx": "(kind, created_at, job_id)",
    "job_status_created_idx": "(status, created_at, job_id)",
    "job_arg_created_idx": "(arg, created_at, job_id)",
    "job_username_created_idx": "(username, created_at, job_id)",
}


async def _backfill_and_index() -> None:
    db = engine()
    if db.engine_type == "postgres":
        first = "left(CASE WHEN json_typeof(args) = 'array' THEN args->>0 END, 200)"
    else:
        first = "substr(CASE WHEN json_type(args) = 'array' THEN json_extract(args, '$[0]') END, 1, 200)"
    await db.run_ddl(f"UPDATE job SET arg = {first} WHERE arg IS NULL AND args IS NOT NULL")
    for name, columns in INDEXES.items():
        await db.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON job {columns}")


async def _drop_indexes() -> None:
    for name in INDEXES:
        await engine().run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    manager.add_raw(_backfill_and_index)
    manager.add_raw_backwards(_drop_indexes)
    return manager
