"""Running test actors for real: the process broker (Stub or Redis) with an in-process Worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from app.jobs.tables import Job
from tasks.broker import get_broker
from tasks.worker import start_worker, stop_worker


def _every_queue(broker: Any, named: list[str]) -> list[str]:
    """The named queues first, then every other declared one: the worker consumes them all, so a child
    on a queue the test did not name (the fix queue after a sync) still runs, and must end, in it."""
    declared = sorted(q for q in broker.get_declared_queues() if not q.endswith(".DQ"))
    return list(dict.fromkeys([*named, *declared]))


def _pending(broker: Any, queue: str) -> int:
    """Messages waiting, delayed or in flight on a queue (and its delay queue)."""
    if isinstance(broker, StubBroker):
        return sum(broker.queues[name].unfinished_tasks for name in (queue, dq_name(queue)))
    return int(broker.do_qsize(queue))


def join(worker: Worker, queues: list[str], *, fail_fast: bool = True, timeout_ms: int = 60_000) -> None:
    """Wait until no queue holds a message and the worker is idle: a child sent while another queue
    was being joined is caught by the next pass, however deep the chain."""
    broker: Any = worker.broker
    everything = _every_queue(broker, queues)
    if isinstance(broker, StubBroker):
        for queue in everything:  # only failures during this join count
            broker.dead_letters_by_queue[queue].clear()
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        for queue in everything:
            if isinstance(broker, StubBroker):
                broker.join(queue, fail_fast=fail_fast, timeout=timeout_ms)
            else:
                broker.join(queue, timeout=timeout_ms)
        worker.join()
        if not any(_pending(broker, queue) for queue in everything):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"queues still busy after {timeout_ms} ms: {everything}")


async def drain(worker: Worker, *queues: str, fail_fast: bool = True) -> None:
    """broker.join + worker.join, off the test's event loop so its pending writes still run."""
    await asyncio.to_thread(join, worker, list(queues), fail_fast=fail_fast)


async def wait_until(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, every: float = 0.05, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(every)


async def job_row(job_id: Any) -> dict[str, Any] | None:
    return await Job.select().where(Job.job_id == job_id).output(load_json=True).first()


async def job_in(job_id: Any, *statuses: str) -> dict[str, Any] | None:
    row = await job_row(job_id)
    return row if row is not None and row["status"] in statuses else None


class WorkerControl:
    """Starts the in-process worker on demand (so a test can look at queued rows first)."""

    def __init__(self, queues: list[str]) -> None:
        self.queues = queues
        self.worker: Worker | None = None

    def start(self, threads: int = 2) -> Worker:
        if self.worker is None:
            self.worker = start_worker(get_broker(), threads=threads, worker_timeout=100)
        return self.worker

    async def drain(self, *, fail_fast: bool = True) -> None:
        await drain(self.start(), *self.queues, fail_fast=fail_fast)

    def stop(self) -> None:
        if self.worker is not None:
            stop_worker(self.worker)
            self.worker = None
        broker: Any = get_broker()
        for queue in _every_queue(broker, self.queues):  # nothing left over for the next test
            broker.flush(queue)


def worker_fixture(*queues: str) -> Callable[[], Iterator[WorkerControl]]:
    @pytest.fixture
    def worker() -> Iterator[WorkerControl]:
        control = WorkerControl(list(queues))
        try:
            yield control
        finally:
            control.stop()

    return worker
