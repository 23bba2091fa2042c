"""The scheduled syncs: their cron expressions from settings, next run times, "run now"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.config import Settings, get_settings
from app.jobs.cron import Cron, CronError
from app.jobs.launch import User, enqueue
from app.jobs.runs import now
from app.jobs.tables import Job


@dataclass(frozen=True)
class Schedule:
    name: str
    actor: str
    expression: str
    cron: Cron | None
    error: str | None = None


class ScheduledRun(NamedTuple):
    name: str
    cron: str
    next_at: dt.datetime | None
    last_job: dict[str, Any] | None


def _schedule(name: str, actor: str, expression: str) -> Schedule:
    try:
        return Schedule(name=name, actor=actor, expression=expression, cron=Cron.parse(expression))
    except CronError as exc:
        return Schedule(name=name, actor=actor, expression=expression, cron=None, error=str(exc))


def configured_schedules(settings: Settings | None = None) -> list[Schedule]:
    """SPOTIFY_SYNC_CRON, MUSICBRAINZ_SYNC_CRON, FIX_QUEUE_CRON; a bad expression keeps its error."""
    settings = settings or get_settings()
    return [
        _schedule("spotify", "sync_spotify", settings.spotify_sync_cron),
        _schedule("musicbrainz", "sync_musicbrainz", settings.musicbrainz_sync_cron),
        _schedule("fix-queue", "refresh_fix_queue", settings.fix_queue_cron),
    ]


def find_schedule(name: str) -> Schedule:
    for schedule in configured_schedules():
        if name in (schedule.name, schedule.actor):
            return schedule
    raise LookupError(f"no schedule named {name!r}")


async def last_job(actor: str) -> dict[str, Any] | None:
    return (
        await Job.select()
        .where(Job.kind == actor[:50])
        .order_by(Job.created_at, ascending=False)
        .output(load_json=True)
        .first()
    )


async def next_runs(at: dt.datetime | None = None) -> list[ScheduledRun]:
    """For each schedule: name, cron expression, next fire time (None when off) and its latest run."""
    settings = get_settings()
    at = at or now()
    runs = []
    for schedule in configured_schedules(settings):
        next_at = None
        if schedule.cron is not None and settings.scheduler_enabled:
            next_at = schedule.cron.next_after(at)
        runs.append(ScheduledRun(schedule.name, schedule.expression, next_at, await last_job(schedule.actor)))
    return runs


async def run_now(name: str, user: User) -> str:
    """Start a scheduled sync by hand, as `user`; returns the job id."""
    schedule = find_schedule(name)
    return await enqueue(schedule.actor, triggered_by="user", user_id=user.id, username=user.username)
