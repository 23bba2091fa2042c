"""A job that gave up: what failed, and its FAILED LlamaLog row.

An actor names a callback with the actor option `on_final_failure`; after the last retry the
worker calls it with a JobFailure, under the job's own context and after the job's rollback.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.db import transaction
from app.jobs.tables import Job
from app.json_types import JSONValue
from app.llamalog.context import JobContext, job_scope
from app.llamalog.logger import LoggedRow, record

MAX_MESSAGE_CHARS = 2000
# A failure hook runs this many times before its FAILED row is given up as lost (each attempt in a
# transaction of its own, on a connection of its own), waiting HOOK_BACKOFF * 2**n seconds between.
HOOK_ATTEMPTS = 3
HOOK_BACKOFF = 0.2
FAILED_ROW_LOST = "FAILED_ROW_LOST"
log = logging.getLogger("llamalog.jobs")


def error_code_of(exc: BaseException) -> str:
    """Typed errors carry `error_code` (e.g. RATE_LIMITED); anything else is named by its class."""
    code = getattr(exc, "error_code", None)
    return str(code)[:50] if code else type(exc).__name__[:50]


def error_text_of(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:MAX_MESSAGE_CHARS]


@dataclass(frozen=True)
class JobFailure:
    job_id: str
    actor: str
    error_code: str
    error_message: str
    retry_count: int
    context: JobContext
    args: tuple[JSONValue, ...] = ()
    kwargs: dict[str, JSONValue] = field(default_factory=dict)


async def run_failure_hook(callback: FailureCallback, failure: JobFailure) -> None:
    """Call an actor's `on_final_failure` under the job's own context; its errors are logged, not raised."""
    with job_scope(failure.context):
        try:
            result = callback(failure)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("on_final_failure of %s failed for job %s", failure.actor, failure.job_id)


async def record_job_failure(
    failure: JobFailure,
    *,
    entity_type: str,
    entity_id: uuid.UUID | None,
    operation: str,
    sources: list[str] | None = None,
    **fields: Any,
) -> LoggedRow:
    """Write the job's FAILED row (error_code, error_message, retry_count) in a transaction.

    Call it inside your own `transaction()` to change state together with it (e.g. enrichment_status).
    """
    async with transaction():
        return await record(
            entity_type=entity_type,
            entity_id=entity_id,
            operation=operation,
            category="FAILED",
            status="FAILED",
            context=failure.context,
            sources=sources,
            error_code=failure.error_code,
            error_message=failure.error_message,
            retry_count=failure.retry_count,
            **fields,
        )


FailureHook = Callable[[JobFailure], Awaitable[None]]
# What an actor's on_final_failure may be: a hook, or a plain function.
FailureCallback = Callable[[JobFailure], Awaitable[None] | None]


def durable_hook(hook: FailureHook) -> FailureHook:
    """`hook` retried when it errors (a dropped connection, a locked database), so the job's FAILED
    row is not lost silently; when every attempt fails, the job record and the console say so."""

    @functools.wraps(hook)
    async def run(failure: JobFailure) -> None:
        for attempt in range(HOOK_ATTEMPTS):
            try:
                await hook(failure)
                return
            except Exception as exc:  # noqa: BLE001 - whatever broke, the next attempt may get through
                last = exc
                log.warning("failure hook of job %s, attempt %d: %r", failure.job_id, attempt + 1, exc)
                if attempt + 1 < HOOK_ATTEMPTS:
                    await asyncio.sleep(HOOK_BACKOFF * 2**attempt)
        await report_lost_row(failure, last)

    return run


async def report_lost_row(failure: JobFailure, exc: BaseException) -> None:
    """Say loudly that a job's FAILED row could not be written: on the console and on the job record."""
    note = f"the FAILED log row could not be written after {HOOK_ATTEMPTS} attempts: {error_text_of(exc)}"
    log.error(
        "[🦙 LlamaLog] FAILED row LOST for job %s (%s, %s: %s): %s",
        failure.job_id,
        failure.actor,
        failure.error_code,
        failure.error_message,
        note,
    )
    try:
        job = await Job.select(Job.error).where(Job.job_id == failure.job_id).first()
        error = f"{job['error']}\n{note}" if job and job["error"] else f"{failure.error_message}\n{note}"
        await Job.update({Job.error: error[:MAX_MESSAGE_CHARS], Job.error_code: FAILED_ROW_LOST}).where(
            Job.job_id == failure.job_id
        )
    except Exception:  # the database is down: the console line above is all there is
        log.exception("[🦙 LlamaLog] job %s: could not mark its record either", failure.job_id)
