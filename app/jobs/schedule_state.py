"""Schedules as the database keeps them: cron edits, pause / resume, their history, tick claims.

The settings give each scheduled sync its default cron; a `job_schedule` row overrides it and says
whether it is paused. Every change writes a `job_schedule_change` row with the user and the state
before and after, in the same transaction. Schedulers claim a tick with one conditional UPDATE
(`claim_tick`), so a paused schedule never ticks, however many schedulers run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import cast

from app.db import ColumnUpdates, transaction
from app.jobs.cron import Cron
from app.jobs.launch import User
from app.jobs.rows import JobRow
from app.jobs.runs import now
from app.jobs.schedule import Schedule, current_schedules, find_schedule, run_now
from app.jobs.tables import Job, JobSchedule, JobScheduleChange
from app.not_found import NotFound

LAST_RUNS = 5
HISTORY = 10


class ScheduleNotFound(NotFound):
    pass


async def claim_tick(name: str, tick: dt.datetime) -> bool:
    """Take the right to send `name`'s `tick`: False when paused or another scheduler took it."""
    await JobSchedule.insert(JobSchedule(name=name)).on_conflict(target=JobSchedule.name, action="DO NOTHING")
    claimed = (
        await JobSchedule.update({JobSchedule.last_tick_at: tick})
        .where(
            (JobSchedule.name == name)
            & (JobSchedule.paused == False)  # noqa: E712 - SQL, not Python
            & (JobSchedule.last_tick_at.is_null() | (JobSchedule.last_tick_at < tick))
        )
        .returning(JobSchedule.name)
    )
    return bool(claimed)


def _state(s: Schedule) -> dict[str, object]:
    return {"cron": s.expression, "paused": s.paused}


async def _find(name: str) -> Schedule:
    try:
        base = find_schedule(name)
    except LookupError:
        raise ScheduleNotFound(f"There is no schedule called {name!r}.") from None
    return (await current_schedules([base]))[0]


async def _change(name: str, action: str, user: User, values: ColumnUpdates) -> Schedule:
    """Write the new state and its history row in one transaction; returns the schedule after."""
    async with transaction():
        before = await _find(name)
        await JobSchedule.insert(JobSchedule(name=before.name)).on_conflict(
            target=JobSchedule.name, action="DO NOTHING"
        )
        values.update({JobSchedule.updated_at: now(), JobSchedule.updated_by: user.username})
        await JobSchedule.update(values).where(JobSchedule.name == before.name)
        after = await _find(name)
        await JobScheduleChange(
            id=uuid.uuid4(),
            schedule=before.name,
            action=action,
            before=_state(before),
            after=_state(after),
            user_id=user.id,
            username=user.username,
        ).save()
    return after


async def pause_schedule(name: str, user: User) -> Schedule:
    return await _change(name, "pause", user, {JobSchedule.paused: True})


async def resume_schedule(name: str, user: User) -> Schedule:
    return await _change(name, "resume", user, {JobSchedule.paused: False})


async def edit_cron(name: str, expression: str, user: User) -> Schedule:
    """Set the schedule's cron; a bad expression raises CronError naming the field."""
    cron = Cron.parse(expression)
    return await _change(name, "edit", user, {JobSchedule.cron: cron.expression})


async def run_schedule_now(name: str, user: User) -> str:
    """Run a scheduled sync now (logged with the user); returns the job id."""
    schedule = await _find(name)
    job_id = await run_now(schedule.name, user)
    await JobScheduleChange(
        id=uuid.uuid4(),
        schedule=schedule.name,
        action="run_now",
        before=_state(schedule),
        after={**_state(schedule), "job_id": job_id},
        user_id=user.id,
        username=user.username,
    ).save()
    return job_id


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    words: str | None
    next_runs: list[dt.datetime]  # empty when paused or off
    last_runs: list[JobRow]  # newest first, from the job table
    history: list[dict[str, object]]  # newest first


async def schedule_views(at: dt.datetime | None = None) -> list[ScheduleView]:
    """Every schedule with its words, next 5 runs, last runs and change history."""
    at = at or now()
    views = []
    for s in await current_schedules():
        # Shown even when this process's scheduler is off: what the cron means is worth seeing.
        runs = s.cron.next_runs(at, 5) if s.cron and not s.paused else []
        last = cast(
            list[JobRow],
            await Job.select()
            .where(Job.kind == s.actor[:50])
            .order_by(Job.created_at, ascending=False)
            .limit(LAST_RUNS)
            .output(load_json=True),
        )
        history = (
            await JobScheduleChange.select()
            .where(JobScheduleChange.schedule == s.name)
            .order_by(JobScheduleChange.created_at, ascending=False)
            .limit(HISTORY)
            .output(load_json=True)
        )
        views.append(ScheduleView(s, s.cron.words() if s.cron else None, runs, last, history))
    return views


def preview(expression: str, at: dt.datetime | None = None) -> tuple[str, list[dt.datetime]]:
    """An expression's words and next 5 runs (raises CronError naming the field)."""
    cron = Cron.parse(expression)
    return cron.words(), cron.next_runs(at or now(), 5)
