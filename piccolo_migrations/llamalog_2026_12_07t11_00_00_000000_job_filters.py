"""Job columns for the /jobs filters and bulk actions: `arg` (what the run was about, as text) and
`stop_requested_at` (a bulk action asked to stop), with the composite indexes the keyset pages use.

The backfill of `arg` and the indexes are the next migration (Piccolo runs raw steps before
column changes within one migration).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job arg and stop_requested_at, indexes for the /jobs filters"

PARAMS = {
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Job",
        tablename="job",
        column_name="arg",
        db_column_name="arg",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 200, "default": None, **PARAMS},
        schema=None,
    )
    manager.add_column(
        table_class_name="Job",
        tablename="job",
        column_name="stop_requested_at",
        db_column_name="stop_requested_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": None, **PARAMS},
        schema=None,
    )
    return manager
