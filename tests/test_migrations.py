"""The migrations build exactly the tables the code declares (no drift), on this database."""

from __future__ import annotations

import tempfile

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


async def _column_type(table: str, column: str) -> str:
    if TEST_DB == "postgres":
        rows = await engine().run_ddl(
            "SELECT data_type, character_maximum_length AS length FROM information_schema.columns "
            f"WHERE table_name = '{table}' AND column_name = '{column}'"
        )
        return f"{rows[0]['data_type']}({rows[0]['length']})" if rows[0]["length"] else rows[0]["data_type"]
    rows = await engine().run_ddl(f"PRAGMA table_info({table})")
    return next(row["type"] for row in rows if row["name"] == column).lower()


async def test_titles_and_names_widen_to_text_on_a_populated_table() -> None:
    """The widening migration goes back and forth over rows already there, and keeps them."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.backwards import run_backwards
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.catalog.tables import Album, Track
    from tests.factories import manual_album, tracklist

    widen = "2026-12-07T00:20:00:000000"
    created = await manual_album(title="Before the widening", artist="Someone", tracks=tracklist(2))
    with contextlib.redirect_stdout(io.StringIO()):
        back = await run_backwards(app_name="llamalog", migration_id=widen, auto_agree=True)
        assert back.success, back.message
        if TEST_DB == "postgres":
            assert await _column_type("album", "title") == "character varying(500)"
        forward = await run_forwards(app_name="llamalog", migration_id="all")
        assert forward.success, forward.message
    if TEST_DB == "postgres":  # SQLite never enforced the length: its declared type stays as it was
        for table, column in (("album", "title"), ("album", "label"), ("artist", "name"), ("track", "title")):
            assert await _column_type(table, column) == "text", (table, column)
    assert await Album.select(Album.title).where(Album.id == created.id).first() == {
        "title": "Before the widening"
    }
    wide = "題" * 600
    await Album.update({Album.title: wide, Album.label: wide}).where(Album.id == created.id)
    await Track.update({Track.title: wide}).where(Track.album == created.id)
    assert (
        await Album.count().where(Album.title == wide) == 1
        and await Track.count().where(Track.title == wide) == 2
    )


async def test_the_log_enums_are_checked_by_the_database_after_migrating_a_populated_table() -> None:
    """The CHECK migration goes back and forth over log rows already there; then the database itself
    refuses a category, entity type, status or source outside the enums, on insert and on update."""
    import contextlib
    import io

    import pytest
    from piccolo.apps.migrations.commands.backwards import run_backwards
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.llamalog.logger import record
    from app.llamalog.tables import LlamaLog
    from tests.factories import manual_album

    checks = "2026-12-07T01:10:00:000000"
    created = await manual_album(title="Logged before the checks", artist="Someone")
    kept = await LlamaLog.count()
    with contextlib.redirect_stdout(io.StringIO()):
        back = await run_backwards(app_name="llamalog", migration_id=checks, auto_agree=True)
        assert back.success, back.message
        # Raw SQL: later migrations (llama_log.import_key) are undone too; the ORM's columns are not there.
        sources = "ARRAY['USER']" if TEST_DB == "postgres" else "'[\"USER\"]'"
        await engine().run_ddl(
            "INSERT INTO llama_log (entity_type, category, operation, sources) "
            f"VALUES ('ALBUM', 'CREATED', 'album:created:x', {sources})"
        )  # no check while the migration is undone
        forward = await run_forwards(app_name="llamalog", migration_id="all")
        assert forward.success, forward.message
    assert await LlamaLog.count() == kept + 1

    good = {"entity_type": "ALBUM", "category": "CREATED", "operation": "album:created:y", "sources": []}
    bad_values = ({"category": "DELETED"}, {"entity_type": "LABEL"}, {"status": "OK"}, {"sources": ["EBAY"]})
    for bad in bad_values:
        with pytest.raises(Exception, match="(?i)check constraint"):
            await LlamaLog.insert(LlamaLog(**{**good, **bad}))
    await LlamaLog.insert(LlamaLog(**good))
    with pytest.raises(Exception, match="(?i)check constraint"):
        await LlamaLog.update({LlamaLog.category: "DELETED"}).where(LlamaLog.album_id == created.id)
    row = await record(entity_type="ALBUM", entity_id=created.id, operation="album:corrected:admin")
    assert row.id and await LlamaLog.count() == kept + 3


def test_the_database_checks_every_log_enum_value_the_logger_knows() -> None:
    """The CHECK migration writes its values out (a migration must not change with the code): when an
    enum gains a value, the database would refuse it until a new migration widens the check."""
    import importlib

    from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, SOURCES, STATUSES

    checks = importlib.import_module("piccolo_migrations.llamalog_2026_12_07t01_10_00_000000_log_checks")
    frozen = (checks.CATEGORIES, checks.ENTITY_TYPES, checks.STATUSES, checks.SOURCES)
    assert frozen == tuple(tuple(values) for values in (CATEGORIES, ENTITY_TYPES, STATUSES, SOURCES)), (
        "a log enum changed: add a migration that replaces the llama_log CHECK constraints / triggers"
    )


async def test_job_summary_column_added_to_a_populated_job_table() -> None:
    """The job-summary migration goes back and forth over runs already there, and keeps them."""
    import contextlib
    import io
    import uuid

    from piccolo.apps.migrations.commands.backwards import run_backwards
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.jobs.tables import Job

    summary_migration = "2026-12-07T01:45:00:000000"
    older = uuid.uuid4()
    await Job.insert(Job(job_id=older, kind="sync_spotify", status="succeeded", albums_skipped=3))
    with contextlib.redirect_stdout(io.StringIO()):
        back = await run_backwards(app_name="llamalog", migration_id=summary_migration, auto_agree=True)
        assert back.success, back.message
        assert "summary" not in await _live_columns("job")
        forward = await run_forwards(app_name="llamalog", migration_id="all")
        assert forward.success, forward.message
    row = await Job.select(Job.albums_skipped, Job.summary).where(Job.job_id == older).first()
    assert row == {"albums_skipped": 3, "summary": None}
    await Job.update({Job.summary: '{"seen": 3}'}).where(Job.job_id == older)
    row = await Job.select(Job.summary).where(Job.job_id == older).output(load_json=True).first()
    assert row == {"summary": {"seen": 3}}


async def test_import_key_goes_back_and_forth_over_imported_rows_and_is_unique() -> None:
    """The import-key migrations undo and redo over a log holding imported rows, and keep them; then
    the database itself refuses a second row with the same import key."""
    import contextlib
    import io
    from pathlib import Path

    import pytest
    from piccolo.apps.migrations.commands.backwards import run_backwards
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.llamalog.legacy_import import import_log
    from app.llamalog.tables import LlamaLog

    sample_file = Path(__file__).parent / "fixtures" / "legacy" / "enrichment_log.jsonl"
    sample = sample_file.read_text().splitlines()[:20]
    path = Path(tempfile.mkdtemp()) / "some.jsonl"
    path.write_text("\n".join(sample) + "\n")
    await import_log(path)
    with contextlib.redirect_stdout(io.StringIO()):
        back = await run_backwards(
            app_name="llamalog", migration_id="2026-12-07T02:00:00:000000", auto_agree=True
        )
        assert back.success, back.message
        assert "import_key" not in await _live_columns("llama_log")
        forward = await run_forwards(app_name="llamalog", migration_id="all")
        assert forward.success, forward.message
    assert await LlamaLog.count() == 20
    await LlamaLog.update({LlamaLog.import_key: "enrichment_log:x"}).where(
        LlamaLog.id == (await LlamaLog.select(LlamaLog.id).first())["id"]
    )
    row = await LlamaLog.select().where(LlamaLog.import_key == "enrichment_log:x").first()
    row.pop("id")
    with pytest.raises(Exception, match="(?i)unique"):
        await LlamaLog.insert(LlamaLog(**row))
