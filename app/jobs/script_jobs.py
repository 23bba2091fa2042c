"""The Job rows of work done outside any Dramatiq job (the job a script's log rows open, `llama
import-log`): the log describes the run and calls the writer registered here when the jobs package is
imported (app.llamalog.outside_runs); the log sits below the jobs and never imports them."""

from __future__ import annotations

from app.jobs.tables import Job, JobStatus
from app.llamalog.outside_runs import OutsideRun, on_outside_run


async def write_outside_run(run: OutsideRun) -> None:
    """The run's row, once (the log calls this with every row of a script's job, since the first
    row's transaction may have rolled back)."""
    await Job.insert(
        Job(
            job_id=run.job_id,
            kind=run.kind,
            actor=run.actor,
            args=run.args or None,
            kwargs=run.kwargs or None,
            root_job_id=run.job_id,
            triggered_by=run.triggered_by,
            username=run.username,
            status=JobStatus.succeeded,
            progress_done=run.progress,
            progress_total=run.progress,
            created_at=run.started,
            started_at=run.started,
            finished_at=run.finished,
            summary=run.summary,
        )
    ).on_conflict(target=Job.job_id, action="DO NOTHING")


on_outside_run(write_outside_run)
