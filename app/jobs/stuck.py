"""Stuck runs: running (or stalled) with no heartbeat past WORKER_HEARTBEAT_TIMEOUT. An admin can
fail one by hand; the run is failed on the record with their name, and the actor's failure hook
writes its FAILED row (as after a last retry), under the run's own job context."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import cast

from app.config import get_settings
from app.jobs.actors import UnknownActor, find_actor
from app.jobs.failures import JobFailure, run_failure_hook
from app.jobs.launch import User
from app.jobs.rows import JobRow
from app.jobs.runs import now
from app.jobs.tables import Job, JobStatus
from app.llamalog.context import JobContext

log = logging.getLogger("llamalog.jobs")
STUCK_STATUSES = (JobStatus.running, JobStatus.stalled)


class NotStuck(ValueError):
    pass


def is_stuck(job: Mapping[str, object], at: dt.datetime, limit_s: float) -> bool:
    """No sign of life for `limit_s` seconds while it says it runs (or the detector found it stalled)."""
    if job.get("status") == JobStatus.stalled:
        return True
    if job.get("status") != JobStatus.running:
        return False
    seen = job.get("heartbeat_at") or job.get("started_at") or job.get("created_at")
    return isinstance(seen, dt.datetime) and (at - seen).total_seconds() > limit_s


def stuck_ids(jobs: Iterable[Mapping[str, object]], at: dt.datetime | None = None) -> set[str]:
    at, limit = at or now(), get_settings().worker_heartbeat_timeout
    return {str(j["job_id"]) for j in jobs if is_stuck(j, at, limit)}


def _callback(actor: str) -> Callable[[JobFailure], Awaitable[None] | None] | None:
    try:
        found = find_actor(actor)
    except (UnknownActor, RuntimeError):
        return None
    return found.options.get("on_final_failure")  # type: ignore[no-any-return]


async def fail_stuck(job_id: uuid.UUID, user: User) -> dict[str, object]:
    """Fail a stuck run as `user`; raises NotStuck when it has shown life since (or is over)."""
    row = cast(JobRow | None, await Job.select().where(Job.job_id == job_id).output(load_json=True).first())
    if row is None or not is_stuck(row, now(), get_settings().worker_heartbeat_timeout):
        raise NotStuck("that run is not stuck: it is over, or its worker has shown signs of life")
    seen = row["heartbeat_at"].isoformat(timespec="seconds") if row["heartbeat_at"] else "never"
    error = f"stuck (no heartbeat since {seen}); failed by {user.username}"
    # The condition again: a heartbeat that landed since the select wins.
    quiet = (Job.heartbeat_at == row["heartbeat_at"]) if row["heartbeat_at"] else Job.heartbeat_at.is_null()
    done = (
        await Job.update(
            {Job.status: JobStatus.failed, Job.error: error, Job.error_code: "STUCK", Job.finished_at: now()}
        )
        .where((Job.job_id == job_id) & Job.status.is_in(list(STUCK_STATUSES)) & quiet)
        .returning(Job.job_id)
    )
    if not done:
        raise NotStuck("that run showed signs of life just now; it is not failed")
    log.warning("job %s: %s", job_id, error)
    actor = row["actor"] or row["kind"]
    callback = _callback(actor)
    if callback is not None:
        ids = {k: str(row[k]) for k in ("parent_job_id", "root_job_id") if row[k] is not None}
        ctx = JobContext.from_options(
            str(job_id),
            {**ids, "triggered_by": row["triggered_by"], "user_id": user.id, "username": user.username},
        )
        failure = JobFailure(
            job_id=str(job_id),
            actor=actor,
            error_code="STUCK",
            error_message=error,
            retry_count=row["retries"] or 0,
            context=ctx,
            args=tuple(row["args"] or ()),
            kwargs=dict(row["kwargs"] or {}),
        )
        await run_failure_hook(callback, failure)
    return {**row, "status": JobStatus.failed, "error": error, "error_code": "STUCK"}
