"""Work that lives as long as `llama serve`: lifespan hooks registered by create_app().

Embedded mode (no REDIS_URL): the Dramatiq worker threads and the scheduler run inside the server.
With Redis they run as `llama worker` and `llama scheduler`, and the server only sends messages.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.auth import session_sync
from app.config import get_settings

if TYPE_CHECKING:
    from dramatiq import Worker

log = logging.getLogger("llamalog.runtime")

EMBEDDED_NOTE = (
    "Embedded mode (no REDIS_URL): jobs run in worker threads inside this server and wait in "
    "memory; pending jobs are lost on restart."
)
REDIS_NOTE = (
    "Jobs wait in Redis and run in `llama worker` processes; `llama scheduler` sends scheduled syncs."
)
WORKER_OFF_NOTE = (
    "Embedded mode with EMBEDDED_WORKER=0: jobs are queued in memory but nothing in this server runs them."
)
LOST_ON_RESTART = "lost: the server restarted in embedded mode (pending jobs are kept in memory)"


@dataclass(frozen=True)
class RuntimeStatus:
    mode: str  # "embedded" or "redis"
    worker_running: bool  # embedded worker threads in this process (always False in redis mode)
    worker_threads: int
    scheduler_enabled: bool
    scheduler_running: bool  # in this process
    note: str


class _Embedded:
    worker: Worker | None = None
    scheduler_task: asyncio.Task[None] | None = None
    scheduler_stop: asyncio.Event | None = None


_embedded = _Embedded()


def runtime_status() -> RuntimeStatus:
    """Where jobs run, for the UI; says that embedded mode loses pending jobs on restart."""
    settings = get_settings()
    worker = _embedded.worker
    task = _embedded.scheduler_task
    return RuntimeStatus(
        mode="embedded" if settings.embedded else "redis",
        worker_running=worker is not None,
        worker_threads=worker.worker_threads if worker is not None else 0,
        scheduler_enabled=settings.scheduler_enabled,
        scheduler_running=task is not None and not task.done(),
        note=_note(settings.embedded, settings.embedded_worker),
    )


def _note(embedded: bool, worker_on: bool) -> str:
    if not embedded:
        return REDIS_NOTE
    return EMBEDDED_NOTE if worker_on else WORKER_OFF_NOTE


async def start_embedded() -> None:
    """Start worker threads and the scheduler in this process, when there is no Redis."""
    settings = get_settings()
    if not settings.embedded or not settings.embedded_worker or _embedded.worker is not None:
        return
    from app.jobs.runs import abandon_unfinished
    from tasks.scheduler import Scheduler
    from tasks.worker import start_embedded_worker

    lost = await abandon_unfinished(LOST_ON_RESTART)
    if lost:
        log.warning("embedded mode: %d unfinished jobs from before the restart marked cancelled", lost)
    _embedded.worker = await asyncio.to_thread(start_embedded_worker)
    log.info("embedded mode: %d worker threads started", _embedded.worker.worker_threads)
    if settings.scheduler_enabled:
        stop = asyncio.Event()
        _embedded.scheduler_stop = stop
        _embedded.scheduler_task = asyncio.create_task(Scheduler().run(stop), name="llamalog-scheduler")


async def stop_embedded() -> None:
    if _embedded.scheduler_stop is not None and _embedded.scheduler_task is not None:
        _embedded.scheduler_stop.set()
        await _embedded.scheduler_task
    _embedded.scheduler_task = _embedded.scheduler_stop = None
    worker, _embedded.worker = _embedded.worker, None
    if worker is not None:
        from tasks.worker import stop_worker

        await asyncio.to_thread(stop_worker, worker, 10_000)


async def freeze_startup_heap() -> None:
    """Keep Python's full collections off the objects the app is made of.

    A server holds ~100k long-lived objects (modules, routes, templates, ORM tables); under load a
    full collection walked them all every few seconds, 50-90 ms in which no request moved (the /logs
    p95 of 50 browsing admins was 5x its unloaded median for that alone). Frozen after startup, they
    are never walked again; what requests make and drop is still collected as before. Once per
    process (a process that starts the app again, as the tests do, freezes nothing more)."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


STARTUP_HOOKS: list[Callable[[], Awaitable[None]]] = [start_embedded, session_sync.start, freeze_startup_heap]
SHUTDOWN_HOOKS: list[Callable[[], Awaitable[None]]] = [stop_embedded, session_sync.stop]
