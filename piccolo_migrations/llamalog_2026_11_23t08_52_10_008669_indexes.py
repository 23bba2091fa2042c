"""Composite indexes and uniques, as portable raw SQL (SQLite rejects ALTER TABLE … ADD CONSTRAINT)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine

ID = "2026-11-23T08:52:10:008669"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes for the chain, the log table and track positions"

INDEXES = [
    ("track_album_position_uq", "track", "album, disc_number, track_number", True),
    ("track_album_mbid_uq", "track", "album, musicbrainz_id", True),
    ("album_artist_uq", "album_artist", "album, artist, role", True),
    ("track_artist_uq", "track_artist", "track, artist, role", True),
    ("album_created_id_ix", "album", "created_at, id", False),
    ("album_title_ix", "album", "title, id", False),
    ("llama_log_entity_ix", "llama_log", "entity_type, entity_id, created_at", False),
    ("llama_log_album_ix", "llama_log", "album_id, created_at, id", False),
    ("llama_log_artist_ix", "llama_log", "artist_id, created_at, id", False),
    ("llama_log_track_ix", "llama_log", "track_id, created_at, id", False),
    ("llama_log_root_job_ix", "llama_log", "root_job_id", False),
    ("llama_log_job_ix", "llama_log", "job_id", False),
    ("llama_log_parent_job_ix", "llama_log", "parent_job_id", False),
    ("llama_log_category_ix", "llama_log", "category, created_at, id", False),
    ("llama_log_created_ix", "llama_log", "created_at, id", False),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="llamalog", description=DESCRIPTION)

    async def create():
        for name, table, columns, unique in INDEXES:
            kind = "UNIQUE INDEX" if unique else "INDEX"
            await engine().run_ddl(f"CREATE {kind} IF NOT EXISTS {name} ON {table} ({columns})")

    async def drop():
        for name, _table, _columns, _unique in INDEXES:
            await engine().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
