"""`llama sync …` and `llama enrich …`: send one actor as a manual root job, optionally wait for it.

With Redis the job goes to the `llama worker` processes. Embedded, no other process could run it,
so this command runs worker threads itself and waits for the job and the jobs it starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TextIO

from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from app.config import get_settings
from app.jobs.launch import UnknownActor, enqueue, find_actor
from app.jobs.progress import COUNT_FIELDS
from app.jobs.queries import get_job
from app.jobs.rows import JobRow
from app.jobs.tables import FINISHED_STATUSES, Job
from app.json_types import JSONValue
from app.llamalog.context import JobContext, job_scope

POLL_S = 0.5


def describe(job: JobRow) -> str:
    parts = [f"{job['status']}"]
    if job["progress_total"]:
        parts.append(f"{job['progress_done']}/{job['progress_total']}")
    parts += [f"{name}={job.get(name)}" for name in COUNT_FIELDS if job.get(name)]
    if job["retries"]:
        parts.append(f"retries={job['retries']}")
    return " ".join(parts)


async def wait_for_job(
    job_id: str, out: TextIO, *, timeout: float | None = None, poll: float = POLL_S
) -> JobRow:
    """Poll the Job row until it finishes, printing each change of progress."""
    deadline = time.monotonic() + timeout if timeout else None
    last = ""
    while True:
        job = await get_job(job_id)
        if job is not None:
            line = describe(job)
            if line != last:
                print(f"  {job['kind']} {job_id}: {line}", file=out, flush=True)
                last = line
            if job["status"] in FINISHED_STATUSES:
                if job["error"]:
                    print(f"  error: {job['error']}", file=out, flush=True)
                return job
        if deadline and time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} did not finish in {timeout} s")
        await asyncio.sleep(poll)


def _drain(broker: StubBroker, worker: Worker) -> None:
    """Embedded: wait until every queue is empty and the worker is idle."""
    while True:
        for queue in list(broker.get_declared_queues()):
            broker.join(queue, fail_fast=False)
        worker.join()
        if all(broker.queues[q].unfinished_tasks == 0 for q in broker.queues):
            return


async def _tree_summary(root_id: str) -> str:
    rows = await Job.select(Job.status).where(Job.root_job_id == root_id)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


async def run_manual(
    actor_name: str,
    args: Sequence[JSONValue] = (),
    *,
    wait: bool,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Send the job; exit code 0 when sent (or succeeded), 1 when it failed, 2 when it cannot run."""
    import tasks.actors  # noqa: F401 - the CLI's entry point: declares the actors, wires the broker

    try:
        find_actor(actor_name)
    except UnknownActor as exc:
        print(f"llama: {exc}", file=err or out)
        return 2
    settings = get_settings()
    with job_scope(JobContext.new_root(triggered_by="manual")):
        if not settings.embedded:
            job_id = await enqueue(actor_name, args, triggered_by="manual")
            print(f"🦙 sent {actor_name} as job {job_id}", file=out, flush=True)
            if not wait:
                return 0
            job = await wait_for_job(job_id, out)
            return 0 if job["status"] == "succeeded" else 1
        return await _run_embedded(actor_name, args, out)


async def _run_embedded(actor_name: str, args: Sequence[JSONValue], out: TextIO) -> int:
    from tasks.worker import start_embedded_worker, stop_worker

    print("🦙 embedded mode (no REDIS_URL): running the job in this process", file=out, flush=True)
    worker = await asyncio.to_thread(start_embedded_worker)
    try:
        job_id = await enqueue(actor_name, args, triggered_by="manual")
        print(f"🦙 {actor_name} is job {job_id}", file=out, flush=True)
        job = await wait_for_job(job_id, out)
        broker = worker.broker
        assert isinstance(broker, StubBroker), "embedded mode runs on the in-process broker"
        await asyncio.to_thread(_drain, broker, worker)
        print(f"🦙 job tree: {await _tree_summary(job_id)}", file=out, flush=True)
    finally:
        await asyncio.to_thread(stop_worker, worker)
    return 0 if job["status"] == "succeeded" else 1
