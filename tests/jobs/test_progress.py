"""Progress and counts belong to worker runs; elsewhere the calls are harmless no-ops."""

from __future__ import annotations

import uuid

import pytest

from app.jobs import progress
from app.jobs.progress import job_count, job_progress
from app.jobs.runs import JobSpec, job_finished, job_queued
from app.jobs.tables import Job
from app.llamalog.context import JobContext, job_scope


async def test_reports_outside_a_worker_run_write_nothing_and_keep_nothing() -> None:
    spec = JobSpec(job_id=str(uuid.uuid4()), actor="t_inline")
    await job_queued(spec)
    with job_scope(JobContext.new_root(job_id=spec.job_id)):
        await job_progress(1, 2)
        await job_count(albums_created=1)
    row = await Job.select().where(Job.job_id == spec.job_id).first()
    assert (row["progress_done"], row["progress_total"], row["albums_created"]) == (0, 0, 0)
    assert spec.job_id not in progress._pending
    await job_progress(1)  # no job at all


async def test_pending_reports_go_out_with_the_final_status(query_counter: dict[str, int]) -> None:
    spec = JobSpec(job_id=str(uuid.uuid4()), actor="t_inline")
    await job_queued(spec)
    progress.begin(spec.job_id)
    query_counter["n"] = 0
    with job_scope(JobContext.new_root(job_id=spec.job_id)):
        await job_progress(0, 5000)  # the first report is written at once, then one per second
        for i in range(1, 4001):
            await job_progress(i)
            await job_count(albums_skipped=1)
    assert 1 <= query_counter["n"] < 20, query_counter["n"]
    row = await Job.select().where(Job.job_id == spec.job_id).first()
    assert row["progress_total"] == 5000
    await job_finished(spec.job_id, "succeeded")
    row = await Job.select().where(Job.job_id == spec.job_id).first()
    assert (row["status"], row["progress_done"], row["albums_skipped"]) == ("succeeded", 4000, 4000)
    assert spec.job_id not in progress._pending


async def test_unknown_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="albums_exploded"):
        await job_count(albums_exploded=1)
