"""Test actors on the process broker (queue `test_jobs`); they leave what they saw in OBSERVED."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import defaultdict
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from app.db import transaction
from app.jobs.failures import JobFailure, record_job_failure
from app.jobs.progress import job_count, job_progress
from app.jobs.tables import Job
from app.llamalog.context import get_current_job
from app.llamalog.logger import record
from tasks.broker import get_broker
from tasks.retry_policy import should_retry

QUEUE = "test_jobs"
broker = get_broker()
if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
    broker.add_middleware(CurrentMessage())  # so actors can show the options of their message

OBSERVED: dict[str, list[dict[str, Any]]] = defaultdict(list)
ATTEMPTS: dict[str, int] = defaultdict(int)
ALLOWED: set[str] = set()
_lock = threading.Lock()


def observe(token: str, **seen: Any) -> None:
    with _lock:
        OBSERVED[token].append(seen)


def attempt(token: str) -> int:
    with _lock:
        ATTEMPTS[token] += 1
        return ATTEMPTS[token]


def _seen_now() -> dict[str, Any]:
    ctx = get_current_job()
    message = CurrentMessage.get_current_message()
    assert ctx is not None and message is not None
    return {
        "ctx": ctx,
        "message_id": message.message_id,
        "options": {k: message.options.get(k) for k in ("job_id", "parent_job_id", "root_job_id")},
    }


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_tree(token: str, level: int, depth: int) -> None:
    """Sends itself one level deeper until `depth`."""
    observe(token, level=level, **_seen_now())
    if level < depth:
        t_tree.send(token, level + 1, depth)


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_progress(token: str, n: int) -> None:
    ctx = get_current_job()
    assert ctx is not None
    row = await Job.select(Job.status, Job.started_at).where(Job.job_id == ctx.job_id).first()
    observe(token, status_while_running=row["status"] if row else None)
    for i in range(1, n + 1):
        await job_progress(done=i, total=n)
        await job_count(albums_created=1, tracks_created=2)
        if n <= 10:
            row = await Job.select(Job.progress_done).where(Job.job_id == ctx.job_id).first()
            observe(token, done_in_row=row["progress_done"])


@dramatiq.actor(broker=broker, queue_name=QUEUE, min_backoff=400, max_backoff=600, max_retries=3)
async def t_flaky(token: str, failures: int) -> None:
    """Fails `failures` times, then succeeds."""
    if attempt(token) <= failures:
        raise RuntimeError(f"flaky attempt {ATTEMPTS[token]}")


class NotFound(Exception):
    error_code = "NOT_FOUND"
    retryable = False


async def failed_for_good(failure: JobFailure) -> None:
    album_id = failure.args[0]
    observe(f"failure:{album_id}", failure=failure, ctx=get_current_job())
    await record_job_failure(
        failure,
        entity_type="ALBUM",
        entity_id=album_id,
        operation="album:failed:test",
        sources=["MUSICBRAINZ"],
    )


class UpstreamDown(Exception):
    error_code = "UPSTREAM_503"


@dramatiq.actor(
    broker=broker,
    queue_name=QUEUE,
    max_retries=2,
    min_backoff=10,
    max_backoff=20,
    on_final_failure=failed_for_good,
)
async def t_always_fails(album_id: str) -> None:
    attempt(album_id)
    raise UpstreamDown("MusicBrainz answered 503")


@dramatiq.actor(
    broker=broker,
    queue_name=QUEUE,
    retry_when=should_retry,
    min_backoff=10,
    max_backoff=20,
    on_final_failure=failed_for_good,
)
async def t_not_found(album_id: str) -> None:
    attempt(album_id)
    raise NotFound("no such release")


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_until_allowed(key: str, *, note: str = "") -> None:
    attempt(key)
    observe(key, ctx=get_current_job(), note=note)
    if key not in ALLOWED:
        raise PermissionError(f"{key} is not allowed yet")


def new_token() -> str:
    return uuid.uuid4().hex


@dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)
async def t_send_in_transaction(token: str) -> None:
    """Sends children while holding a write transaction: directly and from a thread (as sync.py does)."""
    async with transaction():
        await record(entity_type="ALBUM", entity_id=uuid.uuid4(), operation="album:created:test")
        t_tree.send(token, 2, 2)
        await asyncio.to_thread(t_tree.send, token, 2, 2)
    observe(token, sent=True)
