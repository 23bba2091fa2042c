"""Reading runs: a keyset page of jobs (newest first), one job, and its job tree."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from piccolo.columns.combination import WhereRaw

from app.jobs.rows import JobRow
from app.jobs.tables import JOB_STATUSES, Job
from app.llamalog.filters import FilterError

MAX_LIMIT = 200
TREE_LIMIT = 500


@dataclass(frozen=True)
class JobCursor:
    created_at: dt.datetime
    job_id: uuid.UUID

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.job_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> JobCursor:
        try:
            text = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii")).decode()
            stamp, _, job_id = text.partition("|")
            created_at = dt.datetime.fromisoformat(stamp)
            if created_at.tzinfo is None:
                raise ValueError
            return cls(created_at, uuid.UUID(job_id))
        except (ValueError, UnicodeError, binascii.Error):
            raise FilterError("cursor: not a cursor from this site (follow the next-page link)") from None


@dataclass(frozen=True)
class JobPage:
    rows: list[JobRow]
    next_cursor: str | None


async def list_jobs(
    *,
    status: str | None = None,
    kind: str | None = None,
    triggered_by: str | None = None,
    roots_only: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> JobPage:
    """One page of runs, newest first; `next_cursor` continues after the last row."""
    if status is not None and status not in JOB_STATUSES:
        raise FilterError(f"status: unknown value {status!r} (one of {', '.join(JOB_STATUSES)})")
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = Job.select().output(load_json=True)
    if status:
        query = query.where(Job.status == status)
    if kind:
        query = query.where(Job.kind == kind)
    if triggered_by:
        query = query.where(Job.triggered_by == triggered_by)
    if roots_only:
        query = query.where(Job.parent_job_id.is_null())
    if cursor:
        after = JobCursor.decode(cursor)
        job_id: uuid.UUID | str = (
            after.job_id if Job._meta.db.engine_type == "postgres" else str(after.job_id)
        )
        query = query.where(WhereRaw("(created_at, job_id) < ({}, {})", after.created_at, job_id))
    rows = cast(
        list[JobRow], await query.order_by(Job.created_at, Job.job_id, ascending=False).limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = JobCursor(rows[-1]["created_at"], rows[-1]["job_id"]).encode() if more else None
    return JobPage(rows=rows, next_cursor=next_cursor)


async def get_job(job_id: str | uuid.UUID) -> JobRow | None:
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return cast(JobRow | None, await Job.select().where(Job.job_id == key).output(load_json=True).first())


@dataclass
class JobNode:
    job: dict[str, Any]
    children: list[JobNode] = field(default_factory=list)


@dataclass(frozen=True)
class JobDetail:
    job: JobRow
    tree: JobNode  # rooted at the job's root run
    size: int  # runs in the tree that were loaded
    truncated: bool  # the tree holds more than TREE_LIMIT runs
    status_counts: dict[str, int]


async def job_detail(job_id: str | uuid.UUID, *, tree_limit: int = TREE_LIMIT) -> JobDetail | None:
    """A run with the whole tree it belongs to (two queries)."""
    job = await get_job(job_id)
    if job is None:
        return None
    root_id = job["root_job_id"] or job["job_id"]
    members = (
        await Job.select()
        .where((Job.root_job_id == root_id) | (Job.job_id == root_id))
        .order_by(Job.created_at, Job.job_id)
        .limit(tree_limit + 1)
        .output(load_json=True)
    )
    truncated = len(members) > tree_limit
    members = members[:tree_limit]
    if all(m["job_id"] != job["job_id"] for m in members):
        members.append({**job})
    nodes = {m["job_id"]: JobNode(m) for m in members}
    root: JobNode | None = nodes.get(root_id)
    for node in nodes.values():
        parent = nodes.get(node.job["parent_job_id"])
        if parent is not None and node is not root:
            parent.children.append(node)
    if root is None:  # the root run has no Job row (e.g. a web request): hang the top runs under a stub
        root = JobNode({"job_id": root_id, "kind": "request", "status": None})
        for node in nodes.values():
            if node.job["parent_job_id"] not in nodes:
                root.children.append(node)
    counts = Counter(m["status"] for m in members)
    return JobDetail(job=job, tree=root, size=len(members), truncated=truncated, status_counts=dict(counts))
