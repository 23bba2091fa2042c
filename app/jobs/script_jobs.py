"""The Job row of rows written outside any job (a script, the shell): the log opens a job of its own
for them and asks this module to put it on the Job table. The log sits below the jobs and never imports
them; this registers the writer when the jobs package is imported (with the app's tables, before any
row can be written)."""

from __future__ import annotations

import datetime as dt
import uuid

from app.jobs.tables import Job
from app.llamalog.context import JobContext
from app.llamalog.logger import SCRIPT_JOB, on_script_job


async def write_script_job(ctx: JobContext, at: dt.datetime) -> None:
    """The job's row, once (a no-op when it is there: the log calls this with every row of the job,
    since the first row's transaction may have rolled back)."""
    await Job.insert(
        Job(
            job_id=uuid.UUID(ctx.job_id),
            kind=SCRIPT_JOB,
            root_job_id=uuid.UUID(ctx.root_job_id),
            triggered_by="system",
            status="succeeded",
            created_at=at,
            started_at=at,
            finished_at=at,
        )
    ).on_conflict(target=Job.job_id, action="DO NOTHING")


on_script_job(write_script_job)
