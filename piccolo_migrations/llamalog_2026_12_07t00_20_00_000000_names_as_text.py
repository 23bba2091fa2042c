"""Album, artist and track titles and names become Text: a real title can outgrow any Varchar.

Postgres changes the type in place (varchar → text needs no table rewrite and keeps the indexes).
SQLite never enforced a VARCHAR length, so there is nothing to change on disk there; the
alterations stay in the migration all the same, so the migration history knows the new types.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar

from app.db import engine

ID = "2026-12-07T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "titles and names as text"

WIDENED = [
    ("Album", "album", "title", 500),
    ("Album", "album", "label", 300),
    ("Artist", "artist", "name", 500),
    ("Artist", "artist", "sort_name", 500),
    ("Track", "track", "title", 500),
]


class _WideningManager(MigrationManager):
    async def _run_alter_columns(self, backwards: bool = False) -> None:
        if engine().engine_type == "sqlite":
            return  # SQLite has no ALTER COLUMN and stores both types alike
        await super()._run_alter_columns(backwards=backwards)


async def forwards():
    manager = _WideningManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    for class_name, tablename, column, length in WIDENED:
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={},
            old_params={"length": length},
            column_class=Text,
            old_column_class=Varchar,
            schema=None,
        )
    return manager
