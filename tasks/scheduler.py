"""The scheduler: sends each scheduled sync when its cron tick comes, once per tick.

Each tick also runs the stall detector (app/jobs/stalls.py): jobs whose worker stopped heartbeating
are shown stalled, jobs whose message the broker lost are sent again or failed.

Any number of schedulers may run: before sending, each claims the (schedule, tick) pair in the
database (`job_schedule.last_tick_at`, moved forward by one conditional UPDATE that also requires the
schedule not paused), then with a Redis `SET NX` key when REDIS_URL is set or an in-process lock
when embedded. Each pass reads the schedules' stored cron and paused state, so an edit or a pause
made on /jobs/schedules takes effect at the next pass. Ticks missed while no scheduler ran are not
made up; a sync can always be started by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import signal
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from piccolo.engine.postgres import PostgresEngine

from app.config import Settings, get_settings
from app.jobs.charts import settle_days, settle_source_days
from app.jobs.launch import actor_exists, enqueue
from app.jobs.runs import now as utcnow
from app.jobs.schedule import Schedule, configured_schedules, current_schedules
from app.jobs.schedule_state import claim_tick
from app.jobs.stalls import StallAction, check_stalls
from app.llamalog.partitions import ensure_partitions

log = logging.getLogger("llamalog.scheduler")

MAX_SLEEP_S = 30.0
# The stall detector looks this many times per heartbeat timeout.
STALL_CHECKS_PER_TIMEOUT = 2
CLAIM_TTL_S = 7 * 24 * 3600


class Claims(Protocol):
    async def claim(self, name: str, tick: dt.datetime) -> bool: ...


class LocalClaims:
    """Claims shared by every scheduler in this process (embedded mode)."""

    _lock = threading.Lock()
    _claimed: set[tuple[str, dt.datetime]] = set()

    async def claim(self, name: str, tick: dt.datetime) -> bool:
        with self._lock:
            if (name, tick) in self._claimed:
                return False
            self._claimed.add((name, tick))
            return True


class RedisClaims:
    """One Redis key per (schedule, tick): the first `SET NX` wins."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url)
        self.namespace = namespace
        self.owner = str(uuid.uuid4())

    def key(self, name: str, tick: dt.datetime) -> str:
        return f"{self.namespace}:schedule:{name}:{tick.strftime('%Y%m%dT%H%MZ')}"

    async def claim(self, name: str, tick: dt.datetime) -> bool:
        return bool(await self.client.set(self.key(name, tick), self.owner, nx=True, ex=CLAIM_TTL_S))

    async def close(self) -> None:
        await self.client.aclose()


def claims_for(settings: Settings) -> Claims:
    if settings.redis_url:
        return RedisClaims(settings.redis_url, settings.redis_namespace)
    return LocalClaims()


class Scheduler:
    def __init__(
        self,
        schedules: list[Schedule] | None = None,
        claims: Claims | None = None,
        *,
        started_at: dt.datetime | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        send: Callable[..., Awaitable[str]] = enqueue,
        stall_after: float | None = None,
    ) -> None:
        # The schedules as configured; each pass reads their stored cron and paused state over these.
        self.base = configured_schedules() if schedules is None else schedules
        self.schedules = self.base
        self.claims = claims or claims_for(get_settings())
        self.clock = clock
        self.send = send
        # Only ticks after this moment fire.
        self.checked_until = started_at or clock()
        self.stall_after = get_settings().worker_heartbeat_timeout if stall_after is None else stall_after

    async def check_stalls(self) -> list[StallAction]:
        """One pass of the stall detector against this process's broker."""
        from tasks.broker import get_broker
        from tasks.stall_watch import broker_view

        return await check_stalls(broker_view(get_broker()), stall_after=self.stall_after)

    def describe(self) -> list[str]:
        lines = []
        for s in self.schedules:
            if s.cron is None:
                lines.append(f"{s.name}: {s.expression!r} is not a valid cron expression ({s.error}); off")
            else:
                nxt = s.cron.next_after(self.checked_until)
                missing = "" if actor_exists(s.actor) else " (not declared in tasks/actors.py: ticks skipped)"
                at = nxt.isoformat()
                lines.append(f"{s.name}: {s.expression} (UTC) → {s.actor}{missing}, next at {at}")
        return lines

    async def fire_due(self, at: dt.datetime | None = None) -> list[str]:
        """Send every schedule whose tick fell in (last check, `at`]; returns the new job ids."""
        at = at or self.clock()
        sent: list[str] = []
        self.schedules = await current_schedules(self.base)
        for s in self.schedules:
            if s.cron is None:
                continue
            tick = s.cron.last_between(self.checked_until, at)
            if tick is None:
                continue
            if s.paused:
                log.info("schedule %s: tick %s not sent: the schedule is paused", s.name, tick.isoformat())
                continue
            if not actor_exists(s.actor):
                log.warning(
                    "schedule %s: tick %s skipped: actor %r is not declared in tasks/actors.py",
                    s.name,
                    tick.isoformat(),
                    s.actor,
                )
                continue
            if not await claim_tick(s.name, tick) or not await self.claims.claim(s.name, tick):
                log.info("schedule %s: tick %s was sent by another scheduler", s.name, tick.isoformat())
                continue
            job_id = await self.send(s.actor, triggered_by="scheduled")
            log.info("schedule %s: tick %s sent %s as job %s", s.name, tick.isoformat(), s.actor, job_id)
            sent.append(job_id)
        self.checked_until = max(self.checked_until, at)
        return sent

    def next_wakeup(self) -> dt.datetime | None:
        ticks = [
            s.cron.next_after(self.checked_until)
            for s in self.schedules
            if s.cron is not None and not s.paused
        ]
        return min(ticks, default=None)

    async def run(self, stop: asyncio.Event) -> None:
        """Fire ticks until `stop` is set."""
        for line in self.describe():
            log.info("schedule %s", line)
        try:  # the log's monthly partitions, a few months ahead (idempotent, safe in every scheduler)
            created = await ensure_partitions()
            if created:
                log.info("scheduler: created log partitions %s", ", ".join(created))
        except Exception:
            log.exception("scheduler: creating the log's partitions failed")
        while not stop.is_set():
            try:
                await self.fire_due()
            except Exception:
                log.exception("scheduler: sending a scheduled job failed")
            try:
                await self.check_stalls()
            except Exception:
                log.exception("scheduler: the stall detector failed")
            try:
                await settle_days()  # the /jobs charts read settled days from job_day and source_day
                await settle_source_days()
            except Exception:
                log.exception("scheduler: settling the chart days failed")
            wake = self.next_wakeup()
            delay = min(MAX_SLEEP_S, self.stall_after / STALL_CHECKS_PER_TIMEOUT)
            if wake is not None:
                delay = min(delay, max(0.2, (wake - self.clock()).total_seconds() + 0.05))
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass


async def _serve_forever(stop: asyncio.Event) -> None:
    from app.db import engine

    settings = get_settings()
    db = engine()
    if settings.is_postgres and isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=2)
    scheduler = Scheduler()
    for line in scheduler.describe():
        print(f"🦙 scheduler: {line}", flush=True)
    try:
        await scheduler.run(stop)
    finally:
        if isinstance(scheduler.claims, RedisClaims):
            await scheduler.claims.close()
        if settings.is_postgres and isinstance(db, PostgresEngine) and db.pool is not None:
            await db.close_connection_pool()


def run_scheduler(modules: Sequence[str] = ()) -> int:
    """`llama scheduler`: fire scheduled syncs and watch for stalled jobs until SIGTERM or SIGINT."""
    # tasks.actors wires the app's broker; other modules declare actors whose lost messages it resends.
    for name in ("tasks.actors", *modules):
        importlib.import_module(name)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await _serve_forever(stop)

    asyncio.run(main())
    print("🦙 scheduler: stopped", flush=True)
    return 0
