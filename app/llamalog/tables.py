"""The LlamaLog table: one row per change to the catalog, by a job or a person."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Array,
    BigSerial,
    Boolean,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

CATEGORIES = ("CREATED", "ENRICHED", "CORRECTED", "CACHED", "FAILED", "LINKED")
ENTITY_TYPES = ("ALBUM", "ARTIST", "TRACK")
STATUSES = ("SUCCESS", "PARTIAL_SUCCESS", "FAILED", "NO_DATA_AVAILABLE", "SKIPPED")
SOURCES = ("MUSICBRAINZ", "SPOTIFY", "DISCOGS", "COVERARTARCHIVE", "USER")
TRIGGERS = ("scheduled", "manual", "user", "system")


class LlamaLog(Table, tablename="llama_log"):
    id = BigSerial(primary_key=True)
    created_at = Timestamptz(default=TimestamptzNow())
    entity_type = Varchar(length=10)
    entity_id = UUID(null=True, default=None)
    album_id = UUID(null=True, default=None)
    artist_id = UUID(null=True, default=None)
    track_id = UUID(null=True, default=None)
    category = Varchar(length=10)
    operation = Varchar(length=100)
    sources = Array(base_column=Varchar(length=20), default=list)
    status = Varchar(length=20, default="SUCCESS")
    reason = Text(null=True, default=None)
    fields_enriched = Array(base_column=Varchar(length=50), default=list)
    changes = JSON(null=True, default=None)
    data_quality_before = Varchar(length=10, null=True, default=None)
    data_quality_after = Varchar(length=10, null=True, default=None)
    error_message = Text(null=True, default=None)
    error_code = Varchar(length=50, null=True, default=None)
    retry_count = Integer(default=0)
    duration_ms = Integer(null=True, default=None)
    api_call_count = Integer(default=0)
    metadata = JSON(null=True, default=None)
    # Entity label kept on the row so the log table needs no join to show what it is about.
    entity_label = Varchar(length=500, null=True, default=None)
    job_id = UUID(null=True, default=None)
    parent_job_id = UUID(null=True, default=None)
    root_job_id = UUID(null=True, default=None)
    is_root_job = Boolean(default=False)
    triggered_by = Varchar(length=20, null=True, default=None)
    user_id = Integer(null=True, default=None)
    username = Varchar(length=100, null=True, default=None)
    # `<system>:<original id>` of a row imported from another log (llama import-log), unique: a second
    # import of the same file adds nothing. NULL for rows this app writes.
    import_key = Varchar(length=100, null=True, default=None)
