"""The Job table: one row per run of an actor, an admin action or a CLI command."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "cancelled")


class Job(Table, tablename="job"):
    job_id = UUID(primary_key=True)
    kind = Varchar(length=50, index=True)
    actor = Varchar(length=100, null=True, default=None)
    args = JSON(null=True, default=None)
    kwargs = JSON(null=True, default=None)
    status = Varchar(length=20, default="queued", index=True)
    progress_done = Integer(default=0)
    progress_total = Integer(default=0)
    albums_created = Integer(default=0)
    albums_updated = Integer(default=0)
    albums_skipped = Integer(default=0)
    artists_created = Integer(default=0)
    artists_linked = Integer(default=0)
    tracks_created = Integer(default=0)
    failures = Integer(default=0)
    error = Text(null=True, default=None)
    error_code = Varchar(length=50, null=True, default=None)
    retries = Integer(default=0)
    parent_job_id = UUID(null=True, default=None, index=True)
    root_job_id = UUID(null=True, default=None, index=True)
    triggered_by = Varchar(length=20, default="system")
    user_id = Integer(null=True, default=None)
    username = Varchar(length=100, null=True, default=None)
    # A run started by "retry" points at the run it repeats.
    retry_of = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
