"""The one Piccolo app: every table, migrations in piccolo_migrations/."""

from __future__ import annotations

from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from app.auth.tables import AdminSession, AdminUser, ApiToken
from app.catalog.tables import Album, AlbumArtist, Artist, Track, TrackArtist
from app.config import ROOT
from app.correction.tables import (
    BulkItem,
    FixCandidate,
    FixMatch,
    MatchingChange,
    MatchingSettings,
)
from app.jobs.tables import Job, JobDay, JobSchedule, JobScheduleChange, SourceDay, UpstreamCall
from app.llamalog.tables import LlamaLog

TABLES: list[type[Table]] = [
    AdminUser,
    AdminSession,
    Album,
    Artist,
    Track,
    AlbumArtist,
    TrackArtist,
    Job,
    JobSchedule,
    JobScheduleChange,
    JobDay,
    UpstreamCall,
    SourceDay,
    LlamaLog,
    FixMatch,
    FixCandidate,
    MatchingSettings,
    MatchingChange,
    BulkItem,
    ApiToken,
]

APP_CONFIG = AppConfig(
    app_name="llamalog",
    migrations_folder_path=str(ROOT / "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
