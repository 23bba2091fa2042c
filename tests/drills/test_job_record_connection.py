"""Drill: the database drops the worker's connections just as a job's record is written.

A job ends by killing (pg_terminate_backend) every other backend of the database, which includes
the worker pool's idle connections; the worker then writes the job's final status on that pool.

What the user sees: the job reads succeeded (before: "Unexpected failure in after_ack of
JobRecordMiddleware" and the job stayed "running" forever). Proof: the row is succeeded with its
finish time, and the worker's next job is recorded too (the pool opened fresh connections).
"""

from __future__ import annotations

import asyncpg
import dramatiq
import pytest

from app.config import get_settings
from app.jobs.launch import enqueue
from tests.conftest import PG_ADMIN_DSN
from tests.jobs import actors
from tests.jobs.actors import broker, observe
from tests.jobs.harness import WorkerControl, job_in, wait_until, worker_fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not get_settings().is_postgres, reason="pg_terminate_backend is Postgres"),
]
worker = worker_fixture(actors.QUEUE)


async def _terminate_other_backends() -> int:
    database = get_settings().database_url.rsplit("/", 1)[-1].split("?")[0]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return sum(1 for r in rows if r["killed"])


@dramatiq.actor(broker=broker, queue_name=actors.QUEUE, max_retries=0)
async def t_ends_by_killing_connections(token: str) -> None:
    observe(token, killed=await _terminate_other_backends())


async def test_a_job_record_written_on_a_killed_connection_ends_correct(worker: WorkerControl) -> None:
    token = actors.new_token()
    job_id = await enqueue("t_ends_by_killing_connections", [token])
    worker.start(threads=1)
    row = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), timeout=30, what="the record")
    assert actors.OBSERVED[token][0]["killed"] >= 1  # the pool's connections were among them
    assert (row["status"], row["error"]) == ("succeeded", None)
    assert row["finished_at"] is not None and row["finished_at"] >= row["started_at"]

    after = await enqueue("t_progress", [actors.new_token(), 2])
    row = await wait_until(lambda: job_in(after, "succeeded", "failed"), timeout=30, what="the next job")
    assert row["status"] == "succeeded"
