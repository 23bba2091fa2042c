"""Actors for the lifecycle test: a job that fails twice, and a job that holds the only worker thread."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import Middleware

from app.jobs.tables import Job
from app.llamalog.context import get_current_job
from tests.jobs.actors import QUEUE, attempt, broker, observe

GATES: dict[str, threading.Event] = defaultdict(threading.Event)
# Job ids whose delayed retry the worker moved to its queue (acking the delayed copy), in order.
HANDED_OVER: list[str] = []


class HandOverWatch(Middleware):
    """Notes the ack of a delay-queue copy; placed first, so its after_ack runs after everyone else's."""

    def after_ack(self, broker: dramatiq.Broker, message: Any) -> None:
        if q_name(message.queue_name) != message.queue_name:
            HANDED_OVER.append(message.message_id)


if not any(isinstance(m, HandOverWatch) for m in broker.middleware):
    broker.middleware.insert(0, HandOverWatch())


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=3, min_backoff=100, max_backoff=200)
async def t_fails_twice(token: str) -> None:
    """Fails on its first two runs; before failing it sends a job that takes the worker's thread."""
    ctx = get_current_job()
    assert ctx is not None
    row = await Job.select(Job.status).where(Job.job_id == ctx.job_id).first()
    observe(token, status_while_running=row["status"] if row else None)
    n = attempt(token)
    if n <= 2:
        # Sent before the retry exists, so it is ahead of it in the queue: the retry's delay ends
        # while this one holds the only thread (a busy worker).
        t_hold_thread.send(f"{token}:{n}")
        raise RuntimeError(f"attempt {n} fails")


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_hold_thread(key: str) -> None:
    """Holds its worker thread until the test opens the gate."""
    await asyncio.to_thread(GATES[key].wait, 60)
