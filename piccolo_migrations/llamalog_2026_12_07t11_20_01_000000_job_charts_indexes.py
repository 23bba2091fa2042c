"""Indexes for the /jobs charts: one job_day row per (day, kind); upstream calls by time and by job.

Raw SQL like the other composite indexes; IF NOT EXISTS makes a re-run safe.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-12-07T11:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for job_day and upstream_call"

INDEXES = {
    "job_day_day_kind_uq": "UNIQUE INDEX IF NOT EXISTS job_day_day_kind_uq ON job_day (day, kind)",
    "upstream_call_created_ix": "INDEX IF NOT EXISTS upstream_call_created_ix ON upstream_call (created_at)",
    "upstream_call_job_ix": "INDEX IF NOT EXISTS upstream_call_job_ix ON upstream_call (job_id)",
}


async def _create() -> None:
    for statement in INDEXES.values():
        await engine().run_ddl(f"CREATE {statement}")


async def _drop() -> None:
    for name in INDEXES:
        await engine().run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    manager.add_raw(_create)
    manager.add_raw_backwards(_drop)
    return manager
