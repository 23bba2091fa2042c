"""Log maintenance as a job on the record: partitions kept ahead, then the retention prune.

Run by the `maintain_log` actor (the scheduler's `log-maintenance` schedule; its Job row exists and
gets the prune's report as its summary) or by `llama prune` (a Job row of kind `log_prune` is written
here). The report holds what went: rows per category and month, partitions dropped whole, batches.
A dry run changes nothing and writes no Job row.
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid

from app.jobs.summary import job_summary
from app.jobs.tables import Job, JobStatus
from app.llamalog.context import get_current_job
from app.llamalog.partitions import ensure_partitions
from app.llamalog.retention import BATCH_ROWS, Policy, PruneReport, RetentionError, prune

JOB_KIND = "log_prune"


async def _job_row(
    *,
    started: dt.datetime,
    triggered_by: str,
    username: str | None,
    summary: dict[str, object] | None,
    error: str | None = None,
) -> uuid.UUID:
    job_id = uuid.uuid4()
    await Job.insert(
        Job(
            job_id=job_id,
            kind=JOB_KIND,
            actor="llama prune",
            status=JobStatus.failed if error else JobStatus.succeeded,
            error=error,
            triggered_by=triggered_by,
            username=username or getpass.getuser(),
            created_at=started,
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            summary=summary,
        )
    )
    return job_id


async def maintain_log(
    *,
    dry_run: bool = False,
    triggered_by: str = "manual",
    username: str | None = None,
    policy: Policy | None = None,
    batch_rows: int = BATCH_ROWS,
) -> PruneReport:
    """Create the coming months' partitions, then prune; the report goes on the job's record."""
    started = dt.datetime.now(dt.UTC)
    in_actor = get_current_job() is not None
    created = [] if dry_run else await ensure_partitions()
    try:
        report = await prune(dry_run=dry_run, policy=policy, batch_rows=batch_rows)
    except RetentionError as exc:
        if not dry_run and not in_actor:  # the actor's own Job row records the failure
            await _job_row(
                started=started, triggered_by=triggered_by, username=username, summary=None, error=str(exc)
            )
        raise
    if dry_run:
        return report
    summary = report.as_summary()
    summary["partitions_created"] = created
    if in_actor:
        await job_summary(**summary)
    else:
        report.job_id = str(
            await _job_row(started=started, triggered_by=triggered_by, username=username, summary=summary)
        )
    return report
