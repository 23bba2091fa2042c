"""The database enforces llama_log's categories, entity types, statuses and sources, not only the logger.

The values are those of the enums the logger validates against (app/llamalog/tables.py) on the day
of this migration, written out: a migration must do the same thing whenever it runs, so a value added
to an enum later comes with a migration of its own (tests/test_migrations.py says when one is due).

Postgres: one CHECK constraint per column. llama_log is the big table (a million rows in the bench),
so each constraint is added `NOT VALID` (a brief lock, no scan; new rows are checked from then on),
then `VALIDATE CONSTRAINT` checks the rows already there under a SHARE UPDATE EXCLUSIVE lock only:
reads and writes of the log go on meanwhile. The two steps must commit separately for that, so
this migration is not wrapped in one transaction; every statement is safe to run again.

SQLite cannot add a constraint to an existing table (no ALTER TABLE … ADD CONSTRAINT), and a table
rebuild would copy the whole log. The honest equivalent is a pair of triggers per table, BEFORE
INSERT and BEFORE UPDATE, that abort the statement (RAISE(ABORT, …)) for a value outside the enum:
new and changed rows are refused exactly as a CHECK would refuse them. Rows already on file are
checked once by the migration itself, which stops with their count if any are out of range.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-12-07T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "CHECK constraints on llama_log categories, entity types, statuses and sources"

TABLE = "llama_log"
CATEGORIES = ("CREATED", "ENRICHED", "CORRECTED", "CACHED", "FAILED", "LINKED")
ENTITY_TYPES = ("ALBUM", "ARTIST", "TRACK")
STATUSES = ("SUCCESS", "PARTIAL_SUCCESS", "FAILED", "NO_DATA_AVAILABLE", "SKIPPED")
SOURCES = ("MUSICBRAINZ", "SPOTIFY", "DISCOGS", "COVERARTARCHIVE", "USER")
SCALARS = {"category": CATEGORIES, "entity_type": ENTITY_TYPES, "status": STATUSES}


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # the enums are fixed identifiers, no quotes


def postgres_checks() -> dict[str, str]:
    """Constraint name → CHECK expression."""
    checks = {f"{TABLE}_{column}_ck": f"{column} IN ({_in_list(values)})" for column, values in SCALARS.items()}
    checks[f"{TABLE}_sources_ck"] = f"sources <@ ARRAY[{_in_list(SOURCES)}]::varchar[]"
    return checks


def sqlite_violation() -> str:
    """A condition on NEW that is true when the row breaks one of the enums."""
    parts = [f"NEW.{column} NOT IN ({_in_list(values)})" for column, values in SCALARS.items()]
    # sources is stored as JSON text on SQLite: every element must be a known source.
    parts.append(
        f"EXISTS (SELECT 1 FROM json_each(COALESCE(NEW.sources, '[]')) "
        f"WHERE value NOT IN ({_in_list(SOURCES)}))"
    )
    return " OR ".join(parts)


SQLITE_TRIGGERS = ("llama_log_enums_insert_ck", "llama_log_enums_update_ck")


async def _add() -> None:
    db = engine()
    if db.engine_type == "postgres":
        for name, expression in postgres_checks().items():
            await db.run_ddl(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}")
            await db.run_ddl(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} CHECK ({expression}) NOT VALID")
        for name in postgres_checks():
            await db.run_ddl(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {name}")
        return
    condition = sqlite_violation()
    bad = await db.run_ddl(f"SELECT COUNT(*) AS n FROM {TABLE} WHERE {condition.replace('NEW.', '')}")
    if bad[0]["n"]:
        raise ValueError(f"{bad[0]['n']} llama_log rows hold a category, entity type, status or source "
                         "outside the enums: fix them, then migrate again")
    for name, event in zip(SQLITE_TRIGGERS, ("INSERT", "UPDATE"), strict=True):
        await db.run_ddl(
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {TABLE} FOR EACH ROW "
            f"WHEN {condition} BEGIN "
            f"SELECT RAISE(ABORT, 'CHECK constraint failed: llama_log category, entity_type, status or sources'); "
            f"END"
        )


async def _drop() -> None:
    db = engine()
    if db.engine_type == "postgres":
        for name in postgres_checks():
            await db.run_ddl(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}")
        return
    for name in SQLITE_TRIGGERS:
        await db.run_ddl(f"DROP TRIGGER IF EXISTS {name}")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="llamalog", description=DESCRIPTION, wrap_in_transaction=False
    )
    manager.add_raw(_add)
    manager.add_raw_backwards(_drop)
    return manager
