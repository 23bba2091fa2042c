"""A unique index on llama_log.import_key, so a second import of the same file adds nothing.

NULLs never collide in a unique index (Postgres and SQLite), so the app's own rows are untouched.
Raw SQL like the other composite indexes; on Postgres it is built CONCURRENTLY (reads and writes of
the log go on while it builds), which cannot run inside a transaction, so this migration is not
wrapped in one; IF NOT EXISTS makes it safe to run again.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-12-07T02:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on llama_log.import_key"

INDEX = "llama_log_import_key_uq"


async def _create_index() -> None:
    db = engine()
    concurrently = "CONCURRENTLY " if db.engine_type == "postgres" else ""
    await db.run_ddl(f"CREATE UNIQUE INDEX {concurrently}IF NOT EXISTS {INDEX} ON llama_log (import_key)")


async def _drop_index() -> None:
    await engine().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="llamalog", description=DESCRIPTION, wrap_in_transaction=False
    )
    manager.add_raw(_create_index)
    manager.add_raw_backwards(_drop_index)
    return manager
