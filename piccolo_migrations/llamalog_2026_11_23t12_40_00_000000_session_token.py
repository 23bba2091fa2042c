"""An index on the session token: every request looks its session up by token."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-11-23T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on admin_session.token"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)

    async def create():
        await engine().run_ddl("CREATE UNIQUE INDEX IF NOT EXISTS admin_session_token_uq ON admin_session (token)")

    async def drop():
        await engine().run_ddl("DROP INDEX IF EXISTS admin_session_token_uq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
