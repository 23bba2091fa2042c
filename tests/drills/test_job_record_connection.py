"""Drill: the worker's database connection is killed in the middle of writing a job's record.

The test holds a lock on the job's row while the job ends, so the worker's final UPDATE waits on
it; the test then kills (pg_terminate_backend) exactly that waiting backend and lets go of the lock.

What the user sees: the job reads succeeded (before: "Unexpected failure in after_ack of
JobRecordMiddleware" and the job stayed "running" forever). Proof: the row is succeeded with its
finish time, the worker said it retried on a fresh connection, and its next job is recorded too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from typing import Any

import asyncpg
import dramatiq
import pytest

from app.config import get_settings
from app.jobs.launch import enqueue
from tests.conftest import PG_ADMIN_DSN
from tests.jobs import actors
from tests.jobs.actors import broker, observe
from tests.jobs.harness import WorkerControl, job_in, job_row, wait_until, worker_fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not get_settings().is_postgres, reason="pg_terminate_backend is Postgres"),
]
worker = worker_fixture(actors.QUEUE)
GATE = threading.Event()


@dramatiq.actor(broker=broker, queue_name=actors.QUEUE, max_retries=0)
async def t_ends_when_let_go(token: str) -> None:
    observe(token, started=True)
    await asyncio.to_thread(GATE.wait, 30)


def _database() -> str:
    return get_settings().database_url.rsplit("/", 1)[-1].split("?")[0]


async def _blocked_final_write(admin: asyncpg.Connection) -> Any:
    """The backend whose UPDATE of a Job row (the finishing write) waits on our lock."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
        " AND query LIKE 'UPDATE \"job\"%' AND query LIKE '%finished_at%'",
        _database(),
    )
    return rows[0]["pid"] if rows else None


async def test_a_job_record_write_whose_connection_is_killed_ends_correct(
    worker: WorkerControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="llamalog.jobs")
    GATE.clear()
    token = actors.new_token()
    job_id = await enqueue("t_ends_when_let_go", [token])
    worker.start(threads=1)
    await wait_until(lambda: job_in(job_id, "running"), what="the job running")

    locker = await asyncpg.connect(get_settings().database_url)
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("SELECT 1 FROM job WHERE job_id = $1 FOR UPDATE", uuid.UUID(job_id))
        GATE.set()  # the job ends; its final write waits on the lock
        pid = await wait_until(lambda: _blocked_final_write(admin), what="the final write waiting")
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        await lock.rollback()
    finally:
        await locker.close()
        await admin.close()

    row = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), timeout=30, what="the record")
    assert (row["status"], row["error"]) == ("succeeded", None)
    assert row["finished_at"] is not None and row["finished_at"] >= row["started_at"]
    assert "lost the database connection" in caplog.text

    after = await enqueue("t_progress", [actors.new_token(), 2])
    row = await wait_until(lambda: job_in(after, "succeeded", "failed"), timeout=30, what="the next job")
    assert row["status"] == "succeeded"
    assert (await job_row(job_id) or {})["status"] == "succeeded"
