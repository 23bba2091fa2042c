"""A retry that starts before the previous attempt's ack is recorded: the counts stay per attempt.

With a short backoff, the broker can hand attempt n+1 to a second worker thread before the thread
that ran attempt n has acked it (under load the ack is the slow part). The order is forced here
by a middleware that holds attempt 1's ack until attempt 2 has started.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.middleware import Middleware

from app.jobs.launch import enqueue
from app.llamalog.tables import LlamaLog
from tasks.broker import get_broker
from tests.jobs import actors
from tests.jobs.actors import ATTEMPTS
from tests.jobs.harness import WorkerControl, job_row, worker_fixture

worker = worker_fixture(actors.QUEUE)


class AckAfterNextAttempt(Middleware):
    """Holds the ack of attempt `hold` until attempt `hold + 1` of the same message has started."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.next_started = threading.Event()
        self.held = threading.Event()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        attempt = int(message.options.get("retries") or 0)
        if attempt == self.hold + 1:
            self.next_started.set()
        message._hold_ack = attempt == self.hold

    def before_ack(self, broker: dramatiq.Broker, message: Any) -> None:
        if getattr(message, "_hold_ack", False):
            self.held.set()
            assert self.next_started.wait(30), "attempt 2 never started"


@pytest.fixture
def late_ack() -> Iterator[AckAfterNextAttempt]:
    broker = get_broker()
    middleware = AckAfterNextAttempt(hold=1)
    broker.add_middleware(middleware)
    try:
        yield middleware
    finally:
        broker.middleware.remove(middleware)


async def test_a_retry_that_overtakes_the_previous_ack_keeps_its_retry_count(
    late_ack: AckAfterNextAttempt, worker: WorkerControl
) -> None:
    album_id = str(uuid.uuid4())
    job_id = await enqueue("t_always_fails", [album_id])
    await worker.drain(fail_fast=False)
    assert late_ack.held.is_set() and late_ack.next_started.is_set()  # the order really happened
    assert ATTEMPTS[album_id] == 3
    row = await job_row(job_id)
    assert row is not None and (row["status"], row["retries"]) == ("failed", 2)
    (failed,) = await LlamaLog.select().where(LlamaLog.category == "FAILED")
    assert failed["retry_count"] == 2
