"""Starting runs by actor name: run a sync now, retry a failed run, the CLI's manual jobs, a child job."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.jobs.actors import ActorName, UnknownActor, broker, find_actor
from app.jobs.runs import JobSpec, job_finished, job_queued, mark_recorded, now, take_recorded
from app.jobs.tables import RETRYABLE_STATUSES, Job, JobStatus
from app.json_types import JSONValue
from app.llamalog.tables import TRIGGERS
from app.not_found import NotFound


class JobNotFound(NotFound):
    pass


class NotRetryable(ValueError):
    pass


class Actor(Protocol):
    actor_name: str

    def message_with_options(
        self, *, args: tuple[Any, ...] = (), kwargs: Any = None, **options: Any
    ) -> Any: ...


class User(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...


def actor_exists(name: str) -> bool:
    try:
        find_actor(name)
    except (UnknownActor, RuntimeError):  # not declared, or no broker wired
        return False
    return True


async def enqueue(
    actor_name: str,
    args: Sequence[JSONValue] = (),
    kwargs: Mapping[str, JSONValue] | None = None,
    *,
    triggered_by: str = "manual",
    user_id: int | None = None,
    username: str | None = None,
    retry_of: str | None = None,
    parent_job_id: str | None = None,
    root_job_id: str | None = None,
) -> str:
    """Send `actor_name(*args, **kwargs)` as a root job; its Job row exists when this returns.

    With `root_job_id` (and `parent_job_id`) it joins that tree instead ("retry the failed branch").
    """
    if triggered_by not in TRIGGERS:
        raise ValueError(f"triggered_by must be one of {', '.join(TRIGGERS)}")
    actor = find_actor(actor_name)
    options = {
        "triggered_by": triggered_by,
        "user_id": user_id,
        "username": username,
        "retry_of": retry_of,
    }
    message = actor.message_with_options(
        args=tuple(args), kwargs=dict(kwargs or {}), **{k: v for k, v in options.items() if v is not None}
    )
    job_id = message.message_id
    # A root of its own (or the tree it is told to join), whatever job (a web request, the CLI) is
    # running around this call: the context middleware leaves a message carrying a root alone.
    message.options["root_job_id"] = root_job_id or job_id
    if parent_job_id:
        message.options["parent_job_id"] = parent_job_id
    spec = JobSpec(
        job_id=job_id,
        actor=actor_name,
        args=list(message.args),
        kwargs=dict(message.kwargs),
        parent_job_id=parent_job_id,
        root_job_id=root_job_id or job_id,
        triggered_by=triggered_by,
        user_id=user_id,
        username=username,
        retry_of=retry_of,
    )
    await job_queued(spec)
    mark_recorded(job_id)
    try:
        await asyncio.to_thread(broker().enqueue, message)
    except Exception as exc:
        take_recorded(job_id)
        await job_finished(job_id, "failed", error=f"could not enqueue: {exc}", error_code="ENQUEUE_FAILED")
        raise
    return job_id


async def enqueue_child(actor_name: ActorName, *args: JSONValue) -> str:
    """Send `actor_name(*args)` as a child of the running job (a worker run, a web request, the CLI).

    The job-context middleware stamps parent and root ids; returns the job id. An actor that is not
    declared raises UnknownActor (never a silent skip).
    """
    actor = find_actor(actor_name)
    message = await asyncio.to_thread(actor.send, *args)
    return str(message.message_id)


async def retry_job(job_id: str | uuid.UUID, user: User) -> str:
    """Run a failed, cancelled or stalled job again as a new run started by `user`; returns the new job id."""
    row = await Job.select().where(Job.job_id == job_id).output(load_json=True).first()
    if row is None:
        raise JobNotFound(f"There is no run {job_id}.")
    if row["status"] not in RETRYABLE_STATUSES:
        raise NotRetryable(
            f"job {job_id} is {row['status']}: only failed, cancelled or stalled jobs can be retried"
        )
    new_id = await enqueue(
        row["actor"] or row["kind"],
        row["args"] or (),
        row["kwargs"] or {},
        triggered_by="user",
        user_id=user.id,
        username=user.username,
        retry_of=str(row["job_id"]),
    )
    if row["status"] == JobStatus.stalled:
        # The new run replaces it; should its message still turn up, the worker skips a finished run.
        await Job.update(
            {
                Job.status: JobStatus.cancelled,
                Job.finished_at: now(),
                Job.error: f"stalled; retried by {user.username} as job {new_id}",
            }
        ).where((Job.job_id == row["job_id"]) & (Job.status == JobStatus.stalled))
    return new_id


__all__ = ["UnknownActor", "find_actor", "actor_exists", "enqueue", "enqueue_child", "retry_job"]
