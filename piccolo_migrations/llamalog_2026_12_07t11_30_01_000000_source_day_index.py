"""One source_day row per (day, source) (raw SQL like the other composite indexes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-12-07T11:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on source_day (day, source)"


async def _create() -> None:
    await engine().run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS source_day_day_source_uq ON source_day (day, source)"
    )


async def _drop() -> None:
    await engine().run_ddl("DROP INDEX IF EXISTS source_day_day_source_uq")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    manager.add_raw(_create)
    manager.add_raw_backwards(_drop)
    return manager
