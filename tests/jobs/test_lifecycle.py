"""A job's status follows its real lifecycle: queued → running → retrying → running → … → succeeded."""

from __future__ import annotations

from typing import Any

from app.jobs.launch import enqueue
from tests.jobs import actors
from tests.jobs.actors import OBSERVED, new_token
from tests.jobs.harness import WorkerControl, job_in, job_row, wait_until, worker_fixture
from tests.jobs.lifecycle_actors import GATES, HANDED_OVER

worker = worker_fixture(actors.QUEUE)


async def _status(job_id: str) -> Any:
    row = await job_row(job_id)
    return row["status"] if row else None


async def test_a_job_that_fails_twice_reads_retrying_until_a_busy_worker_runs_it_again(
    worker: WorkerControl,
) -> None:
    token = new_token()
    job_id = await enqueue("t_fails_twice", [token])
    seen = [await _status(job_id)]
    worker.start(threads=1)
    for n in (1, 2):

        async def retrying(n: int = n) -> Any:
            row = await job_in(job_id, "retrying")
            return row if row and row["retries"] == n else None

        row = await wait_until(retrying, what=f"retry {n}")
        assert row["error"] == f"RuntimeError: attempt {n} fails" and row["finished_at"] is None
        seen.append(row["status"])

        async def handed_over(n: int = n) -> bool:
            return HANDED_OVER.count(job_id) >= n

        # The retry's delay is over and it waits in the queue behind the job holding the thread.
        await wait_until(handed_over, what=f"the hand-over of retry {n}")
        seen.append(await _status(job_id))
        GATES[f"{token}:{n}"].set()
    final = await wait_until(lambda: job_in(job_id, "succeeded", "failed"), what="the third run")

    assert seen == ["queued", "retrying", "retrying", "retrying", "retrying"]
    assert [o["status_while_running"] for o in OBSERVED[token]] == ["running"] * 3
    assert (final["status"], final["retries"], final["error"]) == ("succeeded", 2, None)
    assert final["finished_at"] >= final["started_at"]
