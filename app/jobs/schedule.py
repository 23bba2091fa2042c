"""The scheduled syncs: their cron expressions from settings, next run times, "run now"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, cast

from app.config import Settings, get_settings
from app.jobs.cron import Cron, CronError
from app.jobs.launch import User, enqueue
from app.jobs.rows import JobRow
from app.jobs.runs import now
from app.jobs.tables import Job, JobSchedule

# How the pages name each schedule, and what its "Run … now" button says.
TITLES = {"spotify": "Spotify sync", "musicbrainz": "MusicBrainz sync", "fix-queue": "Fix queue search"}
RUN_LABELS = {"log-maintenance": "log maintenance", "fix-queue": "the fix queue search"}


def title(name: str) -> str:
    return TITLES.get(name, name.replace("-", " ").capitalize())


def run_label(name: str) -> str:
    """The words of a schedule's button: "Run <these> now"."""
    return RUN_LABELS.get(name, title(name))


@dataclass(frozen=True)
class Schedule:
    name: str
    actor: str
    expression: str
    cron: Cron | None
    error: str | None = None
    paused: bool = False  # stored in job_schedule (app/jobs/schedule_state.py)

    @property
    def title(self) -> str:
        return title(self.name)


class ScheduledRun(NamedTuple):
    name: str
    cron: str
    next_at: dt.datetime | None
    last_job: JobRow | None

    @property
    def title(self) -> str:
        return title(self.name)

    @property
    def run_label(self) -> str:
        return run_label(self.name)


def _schedule(name: str, actor: str, expression: str) -> Schedule:
    try:
        return Schedule(name=name, actor=actor, expression=expression, cron=Cron.parse(expression))
    except CronError as exc:
        return Schedule(name=name, actor=actor, expression=expression, cron=None, error=str(exc))


def configured_schedules(settings: Settings | None = None) -> list[Schedule]:
    """SPOTIFY_SYNC_CRON, MUSICBRAINZ_SYNC_CRON, LOG_MAINTENANCE_CRON and FIX_QUEUE_CRON; a bad
    expression is kept with its error."""
    settings = settings or get_settings()
    return [
        _schedule("spotify", "sync_spotify", settings.spotify_sync_cron),
        _schedule("musicbrainz", "sync_musicbrainz", settings.musicbrainz_sync_cron),
        _schedule("log-maintenance", "maintain_log", settings.log_maintenance_cron),
        _schedule("fix-queue", "refresh_fix_queue", settings.fix_queue_cron),
    ]


def _apply(base: Schedule, row: dict[str, Any] | None) -> Schedule:
    if row is None:
        return base
    schedule = replace(base, paused=bool(row["paused"]))
    if row["cron"] and row["cron"] != base.expression:
        try:
            schedule = replace(schedule, expression=row["cron"], cron=Cron.parse(row["cron"]), error=None)
        except CronError as exc:  # stored before a stricter parser: shown with its error, off
            schedule = replace(schedule, expression=row["cron"], cron=None, error=str(exc))
    return schedule


async def current_schedules(base: list[Schedule] | None = None) -> list[Schedule]:
    """The schedules (settings by default) with their stored cron and paused state (one query)."""
    base = configured_schedules() if base is None else base
    rows = await JobSchedule.select().where(JobSchedule.name.is_in([s.name for s in base])) if base else []
    by_name = {r["name"]: r for r in rows}
    return [_apply(s, by_name.get(s.name)) for s in base]


def find_schedule(name: str) -> Schedule:
    for schedule in configured_schedules():
        if name in (schedule.name, schedule.actor):
            return schedule
    raise LookupError(f"no schedule named {name!r}")


async def last_job(actor: str) -> JobRow | None:
    return cast(
        JobRow | None,
        await Job.select()
        .where(Job.kind == actor[:50])
        .order_by(Job.created_at, ascending=False)
        .output(load_json=True)
        .first(),
    )


async def next_runs(at: dt.datetime | None = None) -> list[ScheduledRun]:
    """For each schedule: name, cron expression, next fire time (None when off) and its latest run."""
    return (await schedule_overview(at))[0]


async def schedule_overview(at: dt.datetime | None = None) -> tuple[list[ScheduledRun], set[str]]:
    """next_runs, and the names of the paused schedules."""
    settings = get_settings()
    at = at or now()
    runs, paused = [], set()
    for schedule in await current_schedules(configured_schedules(settings)):
        next_at = None
        if schedule.cron is not None and settings.scheduler_enabled and not schedule.paused:
            next_at = schedule.cron.next_after(at)
        runs.append(ScheduledRun(schedule.name, schedule.expression, next_at, await last_job(schedule.actor)))
        if schedule.paused:
            paused.add(schedule.name)
    return runs, paused


async def run_now(name: str, user: User) -> str:
    """Start a scheduled sync by hand, as `user`; returns the job id."""
    schedule = find_schedule(name)
    return await enqueue(schedule.actor, triggered_by="user", user_id=user.id, username=user.username)
