"""The stall detector: Job rows compared with worker heartbeats and the broker, on every scheduler tick.

Rules (README, "Stalled jobs and redelivery"):
- running, no heartbeat for `stall_after` seconds → stalled (its worker died or hangs; the broker
  delivers the message again once it counts the worker as dead, and the row turns running).
- queued, retrying or stalled, quiet for `stall_after`, and the broker holds no live copy of its
  message (lost in a Redis restart, a send that failed, a delayed copy no worker will move) → sent
  again with the same job id and tree ids, up to MAX_REQUEUES times; after that → failed.
Every action is written on the row (status, error, requeues) and logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol, cast

from piccolo.columns.combination import Or

from app.db import Clause, ColumnUpdates
from app.jobs.failures import FailureCallback, JobFailure, run_failure_hook
from app.jobs.rows import JobRow
from app.jobs.runs import now, survive
from app.jobs.tables import Job, JobStatus
from app.llamalog.context import JobContext

log = logging.getLogger("llamalog.jobs")

MAX_REQUEUES = 3
WAITING = (JobStatus.queued, JobStatus.retrying, JobStatus.stalled)


class BrokerView(Protocol):
    """What the detector asks of the broker (tasks/stall_watch.py answers for Redis)."""

    def lost(self, rows: list[JobRow], *, stranded_before: dt.datetime) -> set[str]:
        """Ids of these jobs whose message no worker will ever get (copies found stranded are dropped)."""
        ...

    def resend(self, row: JobRow) -> None:
        """Send the job's message again, same job id and options."""
        ...

    def failure_callback(self, actor_name: str) -> FailureCallback | None:
        """The actor's `on_final_failure` (its FAILED log row and state), if it has one."""
        ...


@dataclass(frozen=True)
class StallAction:
    job_id: str
    action: str  # "stalled", "requeued" or "failed"
    detail: str


async def check_stalls(broker: BrokerView | None, *, stall_after: float) -> list[StallAction]:
    """One pass of the rules; `broker` None (embedded) skips the lost-message rule."""
    at = now()
    cutoff = at - dt.timedelta(seconds=stall_after)
    actions = await _mark_stalled(cutoff)
    if broker is not None:
        actions += await _handle_lost(broker, cutoff, at - dt.timedelta(seconds=2 * stall_after))
    for a in actions:
        log.warning("stall detector: job %s %s: %s", a.job_id, a.action, a.detail)
    return actions


def _quiet_since(cutoff: dt.datetime) -> Or:
    return (Job.heartbeat_at < cutoff) | (Job.heartbeat_at.is_null() & (Job.created_at < cutoff))


async def _mark_stalled(cutoff: dt.datetime) -> list[StallAction]:
    stale = (Job.status == JobStatus.running) & _quiet_since(cutoff)
    rows = await Job.select(Job.job_id, Job.heartbeat_at).where(stale)
    actions = []
    for row in rows:
        seen = row["heartbeat_at"].isoformat(timespec="seconds") if row["heartbeat_at"] else "never"
        detail = (
            f"no heartbeat from its worker since {seen}: the worker stopped; "
            "the broker delivers the message again when it counts the worker as dead"
        )
        # The condition again: a heartbeat that landed since the select wins.
        values: ColumnUpdates = {Job.status: JobStatus.stalled, Job.error: detail}
        if await _update_if((Job.job_id == row["job_id"]) & stale, values, "stalled"):
            actions.append(StallAction(str(row["job_id"]), "stalled", detail))
    return actions


async def _update_if(where: Clause, values: ColumnUpdates, what: str) -> bool:
    """Update the row if it still matches `where` (another scheduler may have acted first)."""
    return bool(await survive(lambda: Job.update(values).where(where).returning(Job.job_id), what))


async def _handle_lost(
    broker: BrokerView, cutoff: dt.datetime, stranded_before: dt.datetime
) -> list[StallAction]:
    quiet = Job.status.is_in(list(WAITING)) & _quiet_since(cutoff)
    rows = cast(list[JobRow], await Job.select().where(quiet).output(load_json=True))
    if not rows:
        return []
    lost = await asyncio.to_thread(broker.lost, rows, stranded_before=stranded_before)
    actions = []
    for row in rows:
        job_id = str(row["job_id"])
        if job_id not in lost:
            continue
        was = f"{row['status']} but its message is gone from the broker"
        same = (Job.job_id == row["job_id"]) & (Job.status == row["status"])
        if (row["requeues"] or 0) >= MAX_REQUEUES:
            detail = f"{was}; gave up after {MAX_REQUEUES} re-sends"
            values: ColumnUpdates = {
                Job.status: JobStatus.failed,
                Job.error: detail,
                Job.error_code: "MESSAGE_LOST",
                Job.finished_at: now(),
            }
            if await _update_if(same, values, "lost"):
                actions.append(StallAction(job_id, "failed", detail))
                await _final_failure(broker, row, detail)
            continue
        n = (row["requeues"] or 0) + 1
        detail = f"{was}; sent again by the stall detector ({n} of {MAX_REQUEUES})"
        values = {
            Job.status: JobStatus.queued,
            Job.requeues: n,
            Job.error: detail,
            Job.heartbeat_at: now(),
        }
        if await _update_if(same, values, "requeue"):
            await asyncio.to_thread(broker.resend, row)
            actions.append(StallAction(job_id, "requeued", detail))
    return actions


async def _final_failure(broker: BrokerView, row: JobRow, detail: str) -> None:
    """What a worker does after a job's last retry: its FAILED row (e.g. the album's enrichment FAILED)."""
    actor = row["actor"] or row["kind"]
    callback = broker.failure_callback(actor)
    if callback is None:
        return
    job_id = str(row["job_id"])
    ids = {k: str(row[k]) for k in ("parent_job_id", "root_job_id") if row[k] is not None}
    who = {k: row[k] for k in ("triggered_by", "user_id", "username")}
    ctx = JobContext.from_options(job_id, {**ids, **who})
    failure = JobFailure(
        job_id=job_id,
        actor=actor,
        error_code="MESSAGE_LOST",
        error_message=detail,
        retry_count=row["retries"] or 0,
        context=ctx,
        args=tuple(row["args"] or ()),
        kwargs=dict(row["kwargs"] or {}),
    )
    await run_failure_hook(callback, failure)
