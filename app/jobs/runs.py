"""The Job row of a run: queued, running, then succeeded, failed, retrying or cancelled.

Writes are order-tolerant because they come from different processes: the queued insert never
overwrites, the running write inserts the whole row if the queued one has not landed yet, a late
"retrying" never hides the next attempt, and a finished row is never started again. Each write
survives a connection the database dropped: it is retried on a fresh one (`survive`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.db import ColumnUpdates
from app.jobs.filters import arg_text
from app.jobs.progress import COUNT_FIELDS, take_pending
from app.jobs.tables import UNFINISHED_STATUSES, Job, JobStatus
from app.json_types import JSONValue

MAX_ERROR_CHARS = 4000
WRITE_ATTEMPTS = 4
log = logging.getLogger("llamalog.jobs")
T = TypeVar("T")


@dataclass(frozen=True)
class JobSpec:
    """What a message says about its run (no Dramatiq types here)."""

    job_id: str
    actor: str
    args: list[JSONValue] = field(default_factory=list)
    kwargs: dict[str, JSONValue] = field(default_factory=dict)
    parent_job_id: str | None = None
    root_job_id: str | None = None
    triggered_by: str = "system"
    user_id: int | None = None
    username: str | None = None
    retry_of: str | None = None

    def row(self, **values: Any) -> Job:
        return Job(
            job_id=uuid.UUID(self.job_id),
            kind=self.actor[:50],
            actor=self.actor[:100],
            args=self.args,
            kwargs=self.kwargs,
            parent_job_id=_uuid(self.parent_job_id),
            root_job_id=_uuid(self.root_job_id or self.job_id),
            triggered_by=self.triggered_by,
            user_id=self.user_id,
            username=self.username,
            retry_of=_uuid(self.retry_of),
            arg=arg_text(self.args, self.kwargs),
            **values,
        )


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _uuid(value: object) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


# Message ids whose queued row was written before the message was sent (see launch.enqueue),
# so the middleware does not write it a second time.
_recorded: set[str] = set()
_recorded_lock = threading.Lock()


def mark_recorded(job_id: str) -> None:
    with _recorded_lock:
        _recorded.add(job_id)


def take_recorded(job_id: str) -> bool:
    with _recorded_lock:
        if job_id in _recorded:
            _recorded.discard(job_id)
            return True
        return False


def _lost_connection(exc: BaseException) -> bool:
    """The connection died under the write (server restart, pg_terminate_backend, network)."""
    if isinstance(exc, ConnectionError | OSError):
        return True
    try:
        import asyncpg
    except ImportError:  # SQLite only
        return False
    return isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.exceptions.OperatorInterventionError
        # A connection killed under asyncpg can be left mid-protocol ("another operation is in progress").
        | asyncpg.InternalClientError,
    )


async def survive(write: Callable[[], Awaitable[T]], what: str = "job write") -> T:
    """Run `write()`; when the connection is lost, drop the pool's connections and run it again."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return await write()
        except Exception as exc:
            if attempt == WRITE_ATTEMPTS or not _lost_connection(exc):
                raise
            log.warning("%s: lost the database connection (%s); retrying on a fresh one", what, exc)
            await _expire_pool()
            await asyncio.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


async def _expire_pool() -> None:
    # Every idle connection of the pool may be dead too (the server restarted): open new ones.
    from app.db import engine

    pool = getattr(engine(), "pool", None)
    if pool is not None:
        await pool.expire_connections()


async def job_queued(spec: JobSpec) -> None:
    row = spec.row(status=JobStatus.queued, heartbeat_at=now())
    await survive(lambda: Job.insert(row).on_conflict(target=Job.job_id, action="DO NOTHING"), "queued")


async def job_started(spec: JobSpec, attempt: int) -> bool | None:
    """Attempt `attempt` (0 = first delivery) is running now.

    Returns None when the run is already over (a late duplicate: do not run it), else whether it was
    delivered before. A run delivered again (a retry, a dead worker's message, a re-enqueued stall)
    starts progress and counts from zero; `recount.squared_counts` squares them as it finishes.
    """
    before = await survive(
        lambda: Job.select(Job.status, Job.started_at).where(Job.job_id == spec.job_id).first(), "running"
    )
    if before is not None and before["status"] not in UNFINISHED_STATUSES:
        return None
    again = attempt > 0 or bool(before and before["started_at"])
    started = now()
    values: ColumnUpdates = {
        Job.status: JobStatus.running,
        Job.started_at: started,
        Job.heartbeat_at: started,
        Job.retries: attempt,
        Job.finished_at: None,
        Job.progress_done: 0,
        **{getattr(Job, name): 0 for name in COUNT_FIELDS},
    }
    running = (Job.job_id == spec.job_id) & Job.status.is_in(list(UNFINISHED_STATUSES))
    if before is None:
        row = spec.row(status=JobStatus.running, started_at=started, heartbeat_at=started, retries=attempt)
        inserted = await survive(
            lambda: Job.insert(row).on_conflict(target=Job.job_id, action="DO NOTHING").returning(Job.job_id),
            "running",
        )
        if inserted:
            return again
    updated = await survive(lambda: Job.update(values).where(running).returning(Job.job_id), "running")
    return again if updated else None


async def job_heartbeat(job_ids: Iterable[str]) -> None:
    """The worker running these jobs is alive (a job the detector thought stalled is running after all)."""
    ids = list(job_ids)
    if ids:
        query = Job.update({Job.heartbeat_at: now(), Job.status: JobStatus.running}).where(
            Job.job_id.is_in(ids) & Job.status.is_in([JobStatus.running, JobStatus.stalled])
        )
        await survive(lambda: query, "heartbeat")


def _error_text(error: str | None) -> str | None:
    return error[:MAX_ERROR_CHARS] if error else error


async def job_retrying(job_id: str, retries: int, error: str, error_code: str | None) -> None:
    """Dramatiq will run it again; skipped when the next attempt already started."""
    values: ColumnUpdates = {
        Job.status: JobStatus.retrying,
        Job.retries: retries,
        Job.error: _error_text(error),
        Job.error_code: error_code,
        Job.heartbeat_at: now(),
        **_pending_values(job_id),
    }
    query = Job.update(values).where((Job.job_id == job_id) & (Job.retries < retries))
    await survive(lambda: query, "retrying")


async def job_finished(
    job_id: str,
    status: str,
    *,
    error: str | None = None,
    error_code: str | None = None,
    retries: int | None = None,
    counts: ColumnUpdates | None = None,
) -> None:
    """The run is over: succeeded, failed or cancelled; pending progress and counts go with it.

    `counts` (column → value) replaces counts, e.g. a re-run's squared with its log rows.
    """
    values: ColumnUpdates = {
        Job.status: status,
        Job.finished_at: now(),
        Job.heartbeat_at: now(),
        Job.error: _error_text(error),
        Job.error_code: error_code,
        **_pending_values(job_id),
    }
    if retries is not None:
        values[Job.retries] = retries
    values.update(counts or {})
    if status == "succeeded":
        # A finished run shows its whole progress, even when the last write was throttled away.
        values.setdefault(Job.progress_done, Job.progress_total)
    query = Job.update(values).where(Job.job_id == job_id)
    await survive(lambda: query, status)


def _pending_values(job_id: str) -> ColumnUpdates:
    pending = take_pending(job_id)
    if pending is None:
        return {}
    return pending.update_values()


async def abandon_unfinished(reason: str) -> int:
    """Mark runs that can no longer finish (their in-memory broker is gone) as cancelled."""
    # One statement, however many there are (a list of ids would overflow the driver's parameters).
    unfinished = list(UNFINISHED_STATUSES)
    rows = (
        await Job.update({Job.status: "cancelled", Job.finished_at: now(), Job.error: reason})
        .where(Job.status.is_in(unfinished))
        .returning(Job.job_id)
    )
    return len(rows)
