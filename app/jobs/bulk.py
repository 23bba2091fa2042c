"""Bulk retry of failed runs and cancel of queued ones: itself a job on the record with its user.

The selection is either job ids (rows ticked on /jobs) or a filter ("everything matching"); the
`bulk_jobs` actor walks it in keyset batches, writing progress after each and checking between
batches whether someone asked it to stop (`stop_requested_at` on its own row).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from app.jobs.actors import ActorName, UnknownActor
from app.jobs.filters import JobFilter, parse_job_filter
from app.jobs.launch import JobNotFound, NotRetryable, User, enqueue, retry_job
from app.jobs.progress import job_count, job_progress
from app.jobs.queries import estimate_matching, job_conditions, search_jobs
from app.jobs.rows import JobRow
from app.jobs.runs import now
from app.jobs.tables import UNFINISHED_STATUSES, Job, JobStatus
from app.llamalog.context import get_current_job

BATCH = 100
# Past this many, the total shown while it runs is the planner's estimate.
COUNT_CAP = 100_000


class BulkAction(StrEnum):
    retry = "retry"
    cancel = "cancel"


# The runs each action applies to; any other run in the selection is skipped.
TARGET = {BulkAction.retry: JobStatus.failed, BulkAction.cancel: JobStatus.queued}


class BulkError(ValueError):
    """A bulk request that cannot start (names the field)."""


@dataclass(frozen=True)
class Actor:
    """The user a bulk run acts for (read back from its job context)."""

    id: int
    username: str


def parse_action(value: str | None) -> BulkAction:
    try:
        return BulkAction(value or "")
    except ValueError:
        raise BulkError(f"action: unknown value {value!r}; use retry or cancel") from None


def parse_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise BulkError(f"job: {value!r} is not a job id") from None
    return list(dict.fromkeys(ids))


async def start_bulk(
    action: BulkAction, user: User, *, ids: list[uuid.UUID] | None = None, match: JobFilter | None = None
) -> str:
    """Send the bulk run for `ids` or for every run matching `match`; returns its job id."""
    selection: dict[str, Any]
    if ids is not None and match is None:
        if not ids:
            raise BulkError("job: no runs were selected")
        selection = {"ids": [str(i) for i in ids]}
    elif match is not None and ids is None:
        selection = {"filter": match.as_dict()}
    else:
        raise BulkError("job: pick runs, or choose everything matching the filter")
    return await enqueue(
        ActorName.BULK_JOBS,
        [action.value, selection],
        triggered_by="user",
        user_id=user.id,
        username=user.username,
    )


async def stop_bulk(job_id: uuid.UUID) -> bool:
    """Ask a bulk run to stop after its current batch; False when it is not a running bulk run."""
    updated = (
        await Job.update({Job.stop_requested_at: now()})
        .where(
            (Job.job_id == job_id)
            & (Job.kind == ActorName.BULK_JOBS.value)
            & Job.status.is_in(list(UNFINISHED_STATUSES))
        )
        .returning(Job.job_id)
    )
    return bool(updated)


async def _stop_asked(job_id: str) -> bool:
    row = await Job.select(Job.stop_requested_at).where(Job.job_id == job_id).first()
    return bool(row and row["stop_requested_at"])


async def _summary(job_id: str, **values: object) -> None:
    await Job.update({Job.summary: json.dumps(values)}).where(Job.job_id == job_id)


async def _apply(action: BulkAction, rows: Sequence[JobRow], actor: Actor, me: str) -> tuple[int, int]:
    """Apply `action` to one batch; returns (changed, failed)."""
    if action is BulkAction.cancel:
        ids = [r["job_id"] for r in rows]
        done = (
            await Job.update(
                {
                    Job.status: JobStatus.cancelled,
                    Job.finished_at: now(),
                    Job.error: f"cancelled by {actor.username} (bulk job {me})",
                }
            )
            .where(Job.job_id.is_in(ids) & (Job.status == JobStatus.queued))
            .returning(Job.job_id)
        )
        return len(done), 0
    changed = failed = 0
    for row in rows:
        try:
            await retry_job(row["job_id"], actor)
            changed += 1
        except (JobNotFound, NotRetryable, UnknownActor):
            failed += 1
    return changed, failed


async def run_bulk(action_name: str, selection: dict[str, Any]) -> dict[str, object]:
    """The `bulk_jobs` actor's work: apply the action batch by batch; returns what it did."""
    ctx = get_current_job()
    if ctx is None or ctx.user_id is None:
        raise BulkError("a bulk action runs as the job of the user who started it")
    action = parse_action(action_name)
    actor = Actor(ctx.user_id, ctx.username or str(ctx.user_id))
    target = TARGET[action].value
    if "ids" in selection:
        match = JobFilter(status=target)
        ids: list[uuid.UUID] | None = parse_ids(list(selection["ids"]))
        total = len(ids or [])
    else:
        match = parse_job_filter(selection.get("filter") or {}).with_status(target)
        ids = None
        total = (await estimate_matching(match, cap=COUNT_CAP)).count
    await job_progress(0, total)
    done = changed = failed = 0
    stopped = False
    cursor: str | None = None
    while True:
        if await _stop_asked(ctx.job_id):
            stopped = True
            break
        if ids is not None:
            batch_ids, ids = ids[:BATCH], ids[BATCH:]
            if not batch_ids:
                break
            query = Job.select().where(Job.job_id.is_in(batch_ids))
            for term in job_conditions(match):
                query = query.where(term)
            rows = cast(list[JobRow], await query.output(load_json=True))
            done += len(batch_ids)
            more = bool(ids)
        else:
            page = await search_jobs(match, cursor=cursor, limit=BATCH)
            rows, cursor = page.rows, page.next_cursor
            done += len(rows)
            more = cursor is not None
        # A bulk run never acts on itself (it is queued while "cancel every queued run" starts).
        rows = [r for r in rows if str(r["job_id"]) != ctx.job_id]
        batch_changed, batch_failed = await _apply(action, rows, actor, ctx.job_id)
        changed, failed = changed + batch_changed, failed + batch_failed
        if batch_failed:
            await job_count(failures=batch_failed)
        await job_progress(done, max(total, done))
        await _summary(ctx.job_id, bulk=action.value, done=done, changed=changed, failed=failed)
        if not more:
            break
    result: dict[str, object] = {
        "bulk": action.value,
        "done": done,
        "changed": changed,
        "failed": failed,
        "stopped": stopped,
    }
    await _summary(ctx.job_id, **result)
    return result
