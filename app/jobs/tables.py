"""The Job table: one row per run of an actor, an admin action or a CLI command."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, BigInt, BigSerial, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class JobStatus(StrEnum):
    """Where a run is: queued → running → (retrying → running)* → succeeded | failed | cancelled.

    `stalled`: the row says running or waiting, but its worker stopped heartbeating or the broker
    lost its message; the stall detector re-enqueues it or fails it (app/jobs/stalls.py).
    """

    queued = "queued"
    running = "running"
    retrying = "retrying"
    stalled = "stalled"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


JOB_STATUSES = tuple(s.value for s in JobStatus)
# Not over yet: a worker has it, or the broker holds its message.
UNFINISHED_STATUSES = (JobStatus.queued, JobStatus.running, JobStatus.retrying, JobStatus.stalled)
# Over: the run ended one way or the other.
FINISHED_STATUSES = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)
# "retry" starts a new run of these.
RETRYABLE_STATUSES = (JobStatus.failed, JobStatus.cancelled, JobStatus.stalled)


class Job(Table, tablename="job"):
    job_id = UUID(primary_key=True)
    kind = Varchar(length=50, index=True)
    actor = Varchar(length=100, null=True, default=None)
    args = JSON(null=True, default=None)
    kwargs = JSON(null=True, default=None)
    status = Varchar(length=20, default=JobStatus.queued, index=True, choices=JobStatus)
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
    # The last sign of life: each status write, and every few seconds from the worker running it.
    heartbeat_at = Timestamptz(null=True, default=None)
    # Times the stall detector sent the run again after its message was lost.
    requeues = Integer(default=0)
    # What a sync looked at and what it found (app/jobs/summary.py): the window, albums seen, failed.
    summary = JSON(null=True, default=None)
    # What the run was about, as text, for the /jobs `arg` filter: the first positional argument (an
    # album id) or else the first keyword's value (a sync window). See app.jobs.filters.arg_text.
    arg = Varchar(length=200, null=True, default=None)
    # Set by "stop" on a bulk action (app/jobs/bulk.py): the run ends after its current batch.
    stop_requested_at = Timestamptz(null=True, default=None)


class JobSchedule(Table, tablename="job_schedule"):
    """A scheduled sync's state: its cron (None: the setting's), paused, and the last tick sent.

    Every scheduler claims a tick by moving `last_tick_at` forward in one conditional UPDATE that
    also requires `paused` false, so two schedulers never both send it and a paused one never does.
    """

    name = Varchar(length=50, primary_key=True)
    cron = Varchar(length=100, null=True, default=None)
    paused = Boolean(default=False)
    last_tick_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = Varchar(length=100, null=True, default=None)


class JobScheduleChange(Table, tablename="job_schedule_change"):
    """One change to a schedule (pause, resume, cron edited, run now), with its user and before/after."""

    id = UUID(primary_key=True)
    schedule = Varchar(length=50, index=True)
    action = Varchar(length=20)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    user_id = Integer(null=True, default=None)
    username = Varchar(length=100, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class UpstreamCall(Table, tablename="upstream_call"):
    """One attempt at an upstream request, made inside a job (app/jobs/calls.py hears of each one)."""

    id = BigSerial(primary_key=True)
    job_id = UUID(null=True, default=None)
    source = Varchar(length=30)
    status = Integer(null=True, default=None)  # None: no answer (timeout, connection error)
    latency_ms = Integer(default=0)
    wait_ms = Integer(default=0)  # waiting for the rate limiter
    created_at = Timestamptz(default=TimestamptzNow())


class JobDay(Table, tablename="job_day"):
    """Runs of one kind created on one (settled) day: outcomes and duration percentiles.

    Written once a day is over for good (app/jobs/charts.py), so a 90-day chart reads 90 rows per
    kind instead of every run; the recent days are counted from the job table each time.
    """

    day = Date()
    kind = Varchar(length=50)
    succeeded = Integer(default=0)
    failed = Integer(default=0)
    cancelled = Integer(default=0)
    other = Integer(default=0)
    p50_ms = Integer(null=True, default=None)
    p95_ms = Integer(null=True, default=None)


class SourceDay(Table, tablename="source_day"):
    """Upstream calls to one source on one settled day: requests, latency percentiles, 429/503, wait."""

    day = Date()
    source = Varchar(length=30)
    requests = Integer(default=0)
    status_429 = Integer(default=0)
    status_503 = Integer(default=0)
    wait_ms = BigInt(default=0)
    p50_ms = Integer(null=True, default=None)
    p95_ms = Integer(null=True, default=None)
