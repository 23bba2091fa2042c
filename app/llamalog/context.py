"""The running job: who and what a change happens under, carried in a ContextVar.

A job is a Dramatiq message, one admin action in the browser or one CLI command. Jobs form a tree
through parent_job_id; a root job's root_job_id is its own job_id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class JobContext:
    job_id: str
    root_job_id: str
    parent_job_id: str | None = None
    triggered_by: str = "system"
    user_id: int | None = None
    username: str | None = None

    @property
    def is_root(self) -> bool:
        return self.parent_job_id is None

    @classmethod
    def new_root(
        cls,
        triggered_by: str = "system",
        user_id: int | None = None,
        username: str | None = None,
        job_id: str | None = None,
    ) -> JobContext:
        job_id = job_id or str(uuid.uuid4())
        return cls(
            job_id=job_id,
            root_job_id=job_id,
            triggered_by=triggered_by,
            user_id=user_id,
            username=username,
        )

    def child(self, job_id: str | None = None) -> JobContext:
        """A job started by this one: same root, this job as its parent."""
        return replace(self, job_id=job_id or str(uuid.uuid4()), parent_job_id=self.job_id)

    def as_options(self) -> dict[str, str | int]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_options(cls, job_id: str, options: dict[str, Any]) -> JobContext:
        return cls(
            job_id=job_id,
            root_job_id=options.get("root_job_id") or job_id,
            parent_job_id=options.get("parent_job_id"),
            triggered_by=options.get("triggered_by") or "system",
            user_id=options.get("user_id"),
            username=options.get("username"),
        )


current_job: ContextVar[JobContext | None] = ContextVar("llamalog_current_job", default=None)


def get_current_job() -> JobContext | None:
    return current_job.get()


@contextmanager
def job_scope(ctx: JobContext) -> Iterator[JobContext]:
    """Run a block as `ctx`: used by web requests, CLI commands and the worker middleware."""
    token = current_job.set(ctx)
    try:
        yield ctx
    finally:
        current_job.reset(token)


def user_job(user_id: int | None, username: str | None = None) -> JobContext:
    """One admin action in the browser: a root job of its own."""
    return JobContext.new_root(triggered_by="user", user_id=user_id, username=username)
