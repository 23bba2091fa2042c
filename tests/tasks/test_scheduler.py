"""The scheduler sends a due tick once, even with two schedulers; next runs for the UI."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from app.config import get_settings
from app.jobs.cron import Cron
from app.jobs.runs import JobSpec, job_queued
from app.jobs.schedule import Schedule, next_runs
from app.jobs.tables import Job
from tasks.broker import get_broker
from tasks.scheduler import LocalClaims, RedisClaims, Scheduler, claims_for

QUEUE = "test_scheduler"
UTC = dt.timezone.utc
broker = get_broker()


@dramatiq.actor(broker=broker, queue_name=QUEUE)
async def t_scheduled() -> None:
    pass


def queued_messages() -> int:
    b: Any = broker
    if isinstance(b, StubBroker):
        return b.queues[QUEUE].qsize()
    return int(b.do_qsize(QUEUE))


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    broker.flush(QUEUE)
    yield
    broker.flush(QUEUE)


def every_five_minutes(name: str, actor: str = "t_scheduled") -> Schedule:
    return Schedule(name=name, actor=actor, expression="*/5 * * * *", cron=Cron.parse("*/5 * * * *"))


T0 = dt.datetime(2026, 11, 23, 9, 1, 30, tzinfo=UTC)
TICK = dt.datetime(2026, 11, 23, 9, 5, tzinfo=UTC)


async def test_two_schedulers_fire_a_due_tick_exactly_once() -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"  # claims live in Redis for the whole run
    settings = get_settings()
    first = Scheduler([every_five_minutes(name)], claims_for(settings), started_at=T0)
    second = Scheduler([every_five_minutes(name)], claims_for(settings), started_at=T0)
    expected = RedisClaims if settings.redis_url else LocalClaims
    assert isinstance(first.claims, expected) and first.claims is not second.claims

    # not due yet
    assert await first.fire_due(TICK - dt.timedelta(seconds=1)) == []
    at = TICK + dt.timedelta(seconds=2)
    sent = await asyncio.gather(first.fire_due(at), second.fire_due(at))
    job_ids = sent[0] + sent[1]
    assert len(job_ids) == 1
    assert queued_messages() == 1
    rows = await Job.select().where(Job.kind == "t_scheduled")
    assert len(rows) == 1
    assert (str(rows[0]["job_id"]), rows[0]["triggered_by"], rows[0]["status"]) == (
        job_ids[0],
        "scheduled",
        "queued",
    )
    assert rows[0]["user_id"] is None

    # the same tick again, and a third scheduler that started before it: nothing more
    late = Scheduler([every_five_minutes(name)], claims_for(settings), started_at=T0)
    assert await first.fire_due(at) == [] and await late.fire_due(at) == []
    # the next tick fires once again
    at = TICK + dt.timedelta(minutes=5, seconds=1)
    sent = await asyncio.gather(first.fire_due(at), second.fire_due(at), late.fire_due(at))
    assert sum(len(s) for s in sent) == 1
    assert await Job.count().where(Job.kind == "t_scheduled") == 2
    for s in (first, second, late):
        if isinstance(s.claims, RedisClaims):
            await s.claims.close()


async def test_missed_ticks_fire_once_not_as_a_backlog() -> None:
    scheduler = Scheduler([every_five_minutes(f"test-{uuid.uuid4().hex[:8]}")], LocalClaims(), started_at=T0)
    assert len(await scheduler.fire_due(T0 + dt.timedelta(hours=2))) == 1
    assert await Job.count() == 1


async def test_a_missing_actor_is_skipped_with_a_clear_log_line(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler(
        [every_five_minutes("spotify", actor="sync_nothing_here")], LocalClaims(), started_at=T0
    )
    with caplog.at_level(logging.WARNING, logger="llamalog.scheduler"):
        assert await scheduler.fire_due(TICK) == []
    assert "actor 'sync_nothing_here' is not declared in tasks/actors.py" in caplog.text
    assert "tick 2026-11-23T09:05:00+00:00 skipped" in caplog.text
    assert await Job.count() == 0


async def test_the_run_loop_fires_and_stops() -> None:
    now = dt.datetime.now(UTC)
    schedule = Schedule(
        name=f"test-{uuid.uuid4().hex[:8]}",
        actor="t_scheduled",
        expression="* * * * *",
        cron=Cron.parse("* * * * *"),
    )
    scheduler = Scheduler([schedule], LocalClaims(), started_at=now - dt.timedelta(minutes=2))
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    rows = []
    for _ in range(100):
        rows = await Job.select().where(Job.kind == "t_scheduled")
        if rows:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len(rows) == 1 and rows[0]["triggered_by"] == "scheduled"


@pytest.fixture
def crons(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SPOTIFY_SYNC_CRON", "0 */6 * * *")
    monkeypatch.setenv("MUSICBRAINZ_SYNC_CRON", "not a cron")
    monkeypatch.setenv("SCHEDULER_ENABLED", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_next_runs(crons: None) -> None:
    earlier = JobSpec(job_id=str(uuid.uuid4()), actor="sync_spotify", triggered_by="scheduled")
    latest = JobSpec(job_id=str(uuid.uuid4()), actor="sync_spotify", triggered_by="user", user_id=4)
    await job_queued(earlier)
    await asyncio.sleep(0.01)
    await job_queued(latest)

    runs = await next_runs(at=dt.datetime(2026, 11, 23, 8, 58, 43, tzinfo=UTC))
    assert [(r.name, r.cron, r.next_at) for r in runs] == [
        ("spotify", "0 */6 * * *", dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
        ("musicbrainz", "not a cron", None),
        ("log-maintenance", "15 4 * * *", dt.datetime(2026, 11, 24, 4, 15, tzinfo=UTC)),
        ("fix-queue", "45 * * * *", dt.datetime(2026, 11, 23, 9, 45, tzinfo=UTC)),
    ]
    name, cron, next_at, last_job = runs[0]  # a plain tuple too
    assert last_job is not None and str(last_job["job_id"]) == latest.job_id and last_job["user_id"] == 4
    assert runs[1].last_job is None


async def test_next_runs_when_the_scheduler_is_off(crons: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_ENABLED", "0")
    get_settings.cache_clear()
    assert [r.next_at for r in await next_runs()] == [None, None, None, None]
