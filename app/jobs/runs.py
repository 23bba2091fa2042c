"""The Job row of a run: queued, running, then succeeded, failed, retrying or cancelled.

Writes are order-tolerant because they come from different processes: the queued insert never
overwrites, the running write inserts the whole row if the queued one has not landed yet, and a
late "retrying" never hides the next attempt.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.jobs.progress import take_pending
from app.jobs.tables import Job

MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class JobSpec:
    """What a message says about its run (no Dramatiq types here)."""

    job_id: str
    actor: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
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
            **values,
        )


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _uuid(value: Any) -> uuid.UUID | None:
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


async def job_queued(spec: JobSpec) -> None:
    await Job.insert(spec.row(status="queued")).on_conflict(target=Job.job_id, action="DO NOTHING")


async def job_started(spec: JobSpec, attempt: int) -> None:
    """Attempt `attempt` (0 = first delivery) is running now."""
    row = spec.row(status="running", started_at=now(), retries=attempt)
    await Job.insert(row).on_conflict(
        target=Job.job_id,
        action="DO UPDATE",
        values=[Job.status, Job.started_at, Job.retries, (Job.finished_at, None)],
    )


def _error_text(error: str | None) -> str | None:
    return error[:MAX_ERROR_CHARS] if error else error


async def job_retrying(job_id: str, retries: int, error: str, error_code: str | None) -> None:
    """Dramatiq will run it again; skipped when the next attempt already started."""
    values: dict[Any, Any] = {
        Job.status: "retrying",
        Job.retries: retries,
        Job.error: _error_text(error),
        Job.error_code: error_code,
        **_pending_values(job_id),
    }
    await Job.update(values).where((Job.job_id == job_id) & (Job.retries < retries))


async def job_finished(
    job_id: str,
    status: str,
    *,
    error: str | None = None,
    error_code: str | None = None,
    retries: int | None = None,
) -> None:
    """The run is over: succeeded, failed or cancelled; pending progress and counts go with it."""
    values: dict[Any, Any] = {
        Job.status: status,
        Job.finished_at: now(),
        Job.error: _error_text(error),
        Job.error_code: error_code,
        **_pending_values(job_id),
    }
    if retries is not None:
        values[Job.retries] = retries
    if status == "succeeded":
        # A finished run shows its whole progress, even when the last write was throttled away.
        values.setdefault(Job.progress_done, Job.progress_total)
    await Job.update(values).where(Job.job_id == job_id)


def _pending_values(job_id: str) -> dict[Any, Any]:
    pending = take_pending(job_id)
    if pending is None:
        return {}
    return pending.update_values()


async def abandon_unfinished(reason: str) -> int:
    """Mark runs that can no longer finish (their in-memory broker is gone) as cancelled."""
    unfinished = ["queued", "running", "retrying"]
    rows = await Job.select(Job.job_id).where(Job.status.is_in(unfinished))
    if rows:
        await Job.update({Job.status: "cancelled", Job.finished_at: now(), Job.error: reason}).where(
            Job.job_id.is_in([r["job_id"] for r in rows]) & Job.status.is_in(unfinished)
        )
    return len(rows)
