"""A final-failure hook that errors is retried; if it never gets through, the job record and the
console say the FAILED row was lost."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.catalog.job_failures import enrichment_failed
from app.catalog.tables import Album
from app.jobs import failures
from app.jobs.failures import FAILED_ROW_LOST, JobFailure, durable_hook
from app.jobs.runs import JobSpec, job_finished, job_queued
from app.jobs.tables import Job
from app.llamalog.context import JobContext
from app.llamalog.tables import LlamaLog
from tests.factories import job_album


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures, "HOOK_BACKOFF", 0.01)


@pytest.fixture
def console() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("llamalog.jobs")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


async def _failed_job(album_id: Any) -> JobFailure:
    ctx = JobContext.new_root(triggered_by="scheduled")
    await job_queued(JobSpec(job_id=ctx.job_id, actor="enrich_album", args=[str(album_id)]))
    error = "RateLimited: MusicBrainz said 503"
    await job_finished(ctx.job_id, "failed", error=error, error_code="RATE_LIMITED")
    return JobFailure(
        job_id=ctx.job_id,
        actor="enrich_album",
        error_code="RATE_LIMITED",
        error_message="MusicBrainz said 503",
        retry_count=3,
        context=ctx,
        args=(str(album_id),),
    )


async def test_a_hook_that_errors_once_still_writes_the_failed_row(upstream: Any) -> None:
    created, _ = await job_album(title="Kat Moda", artist="Jeff Mills")
    failure = await _failed_job(created.id)
    calls = 0

    async def connection_dropped_once(failure: JobFailure) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("connection to the database dropped")
        await enrichment_failed.__wrapped__(failure)  # type: ignore[attr-defined]

    await durable_hook(connection_dropped_once)(failure)
    (row,) = await LlamaLog.select().where(LlamaLog.operation == "album:failed:enrichment")
    assert (row["error_code"], row["entity_id"]) == ("RATE_LIMITED", created.id)
    assert str(row["job_id"]) == failure.job_id
    album = await Album.select(Album.enrichment_status).where(Album.id == created.id).first()
    assert album == {"enrichment_status": "FAILED"} and calls == 2


async def test_a_hook_that_never_gets_through_is_said_loudly_on_the_job_and_the_console(
    upstream: Any, console: list[str]
) -> None:
    created, _ = await job_album(title="Kat Moda", artist="Jeff Mills")
    failure = await _failed_job(created.id)

    async def database_refuses(failure: JobFailure) -> None:
        raise OSError("disk I/O error")

    await durable_hook(database_refuses)(failure)
    assert await LlamaLog.count().where(LlamaLog.category == "FAILED") == 0
    job = await Job.select(Job.error, Job.error_code, Job.status).where(Job.job_id == failure.job_id).first()
    assert job["status"] == "failed" and job["error_code"] == FAILED_ROW_LOST
    assert job["error"].startswith("RateLimited: MusicBrainz said 503\n")
    assert "FAILED log row could not be written after 3 attempts: disk I/O error" in job["error"]
    (lost,) = [line for line in console if "FAILED row LOST" in line]
    assert lost.startswith("[🦙 LlamaLog]") and failure.job_id in lost and "RATE_LIMITED" in lost
