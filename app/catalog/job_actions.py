"""The catalog pages' use of the jobs runtime: enrich an album now, retry a failed job, poll a run.

The jobs area owns queueing (app.jobs.launch); the enrich button is disabled when no broker is wired.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TypedDict, cast

from app.jobs import launch
from app.jobs.actors import ActorName
from app.jobs.tables import RETRYABLE_STATUSES, Job
from app.llamalog.tables import LlamaLog

ENRICH_ACTOR = ActorName.ENRICH_ALBUM


class JobActionError(LookupError):
    """The job cannot be started or retried; the message says why."""


class JobStatusRow(TypedDict):
    """What the album page shows of an enrichment run it follows."""

    job_id: uuid.UUID
    status: str
    progress_done: int
    progress_total: int
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class FailedRef(TypedDict):
    """What retrying needs of a FAILED log row: its id and the jobs it belongs to."""

    id: int
    job_id: uuid.UUID | None
    root_job_id: uuid.UUID | None


class _LoggedFailure(FailedRef):
    category: str


def enrich_available() -> bool:
    return launch.actor_exists(ENRICH_ACTOR)


async def start_enrichment(album_id: uuid.UUID, user: launch.User) -> str:
    """Queue `enrich_album(album_id)` as a root job of `user`; returns its job id."""
    if not launch.actor_exists(ENRICH_ACTOR):
        raise JobActionError("enrichment is not available on this server yet")
    return str(
        await launch.enqueue(
            ENRICH_ACTOR,
            [str(album_id)],
            triggered_by="user",
            user_id=user.id,
            username=user.username,
        )
    )


async def job_status(job_id: uuid.UUID | str) -> JobStatusRow | None:
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return cast(
        JobStatusRow | None,
        await Job.select(
            Job.job_id,
            Job.status,
            Job.progress_done,
            Job.progress_total,
            Job.error,
            Job.created_at,
            Job.finished_at,
        )
        .where(Job.job_id == key)
        .first(),
    )


async def retryable_jobs(failures: Sequence[FailedRef]) -> dict[int, str]:
    """{log row id: job id to retry} for FAILED rows whose job (or root job) failed: one query."""
    ids = {row[k] for row in failures for k in ("job_id", "root_job_id") if row.get(k)}
    if not ids:
        return {}
    jobs = await Job.select(Job.job_id, Job.status).where(Job.job_id.is_in(list(ids)))
    failed = {job["job_id"] for job in jobs if job["status"] in RETRYABLE_STATUSES}
    found: dict[int, str] = {}
    for row in failures:
        for key in ("job_id", "root_job_id"):
            if row.get(key) in failed:
                found[row["id"]] = str(row.get(key))
                break
    return found


async def retry_failed_job(log_id: int, user: launch.User) -> str:
    """Retry the job behind FAILED row `log_id` (its own job, else its root); returns the new job id."""
    if not 0 < log_id < 2**63:  # no such row can exist; the drivers would fail on the number
        raise JobActionError(f"there is no failed log row #{log_id}")
    row = cast(
        _LoggedFailure | None,
        await LlamaLog.select(LlamaLog.id, LlamaLog.job_id, LlamaLog.root_job_id, LlamaLog.category)
        .where(LlamaLog.id == log_id)
        .first(),
    )
    if row is None or row["category"] != "FAILED":
        raise JobActionError(f"there is no failed log row #{log_id}")
    job = (await retryable_jobs([row])).get(row["id"])
    if job is None:
        raise JobActionError(f"the job behind log row #{log_id} is not a failed run that can be retried")
    return str(await launch.retry_job(job, user))
