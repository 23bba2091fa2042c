"""llama_log.import_key: the identity of a row imported from another system (llama import-log).

Nullable with no default: adding it to a populated log rewrites no rows; rows the app writes keep
NULL. Its unique index comes in the next migration (Piccolo runs a migration's raw steps before its
column changes, so the index cannot be made in this one).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "llama_log.import_key: identity of imported legacy rows"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)
    manager.add_column(
        table_class_name="LlamaLog",
        tablename="llama_log",
        column_name="import_key",
        db_column_name="import_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
