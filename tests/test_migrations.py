"""The migrations build exactly the tables the code declares (no drift), on this database."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from app.db import engine
from app.piccolo_app import APP_CONFIG, TABLES
from tests.conftest import TEST_DB


async def test_tables_match_the_migrations() -> None:
    manager = AutoMigrationManager(auto_input="y")
    alter = await manager.get_alter_statements(app_config=APP_CONFIG)
    pending = [statement for group in alter for statement in group.statements]
    assert pending == [], (
        f"tables and migrations differ; run `piccolo migrations new llamalog --auto`: {pending}"
    )


async def _live_columns(table: str) -> set[str]:
    if TEST_DB == "postgres":
        rows = await engine().run_ddl(
            f"SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'"
        )
    else:
        rows = await engine().run_ddl(f"PRAGMA table_info({table})")
    return {row["name"] for row in rows}


async def test_live_database_has_every_declared_column() -> None:
    for table in TABLES:
        declared = {c._meta.db_column_name for c in table._meta.columns}
        assert await _live_columns(table._meta.tablename) == declared, table._meta.tablename


async def test_composite_indexes_exist() -> None:
    if TEST_DB == "postgres":
        rows = await engine().run_ddl("SELECT indexname AS name FROM pg_indexes")
    else:
        rows = await engine().run_ddl("SELECT name FROM sqlite_master WHERE type = 'index'")
    names = {row["name"] for row in rows}
    for expected in (
        "track_album_position_uq",
        "llama_log_entity_ix",
        "llama_log_album_ix",
        "llama_log_root_job_ix",
        "llama_log_category_ix",
        "llama_log_created_ix",
    ):
        assert expected in names
