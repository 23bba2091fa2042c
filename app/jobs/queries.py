"""Reading runs: a keyset page of jobs (newest first), one job, and its job tree."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from app.jobs.filters import SOURCE_KINDS, JobFilter
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


def job_conditions(f: JobFilter) -> list[Combinable]:
    """The WHERE terms of a filter (each served by an index in the job_filters migration)."""
    terms: list[Combinable] = []
    if f.status:
        terms.append(Job.status == f.status)
    if f.kind:
        terms.append(Job.kind == f.kind)
    if f.source:
        terms.append(Job.kind.is_in([str(k) for k in SOURCE_KINDS[f.source]]))
    if f.user:
        # A user id is a 32-bit integer column: longer digit strings can only be a username.
        by_id = f.user.isdigit() and int(f.user) < 2**31
        terms.append(Job.user_id == int(f.user) if by_id else Job.username == f.user)
    if f.since:
        terms.append(Job.created_at >= f.since)
    if f.until:
        terms.append(Job.created_at < f.until)
    if f.arg:
        terms.append(Job.arg == f.arg)
    if f.roots_only:
        terms.append(Job.parent_job_id.is_null())
    return terms


def _where(query: Select, terms: list[Combinable]) -> Select:
    for term in terms:
        query = query.where(term)
    return query


def _after(cursor: str) -> WhereRaw:
    after = JobCursor.decode(cursor)
    job_id: uuid.UUID | str = after.job_id if Job._meta.db.engine_type == "postgres" else str(after.job_id)
    return WhereRaw("(created_at, job_id) < ({}, {})", after.created_at, job_id)


async def search_jobs(f: JobFilter, *, cursor: str | None = None, limit: int = 50) -> JobPage:
    """One keyset page of runs matching `f`, newest first (one statement; no count)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    terms = job_conditions(f)
    if cursor:
        terms.append(_after(cursor))
    query = _where(Job.select().output(load_json=True), terms)
    rows = cast(
        list[JobRow], await query.order_by(Job.created_at, Job.job_id, ascending=False).limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = JobCursor(rows[-1]["created_at"], rows[-1]["job_id"]).encode() if more else None
    return JobPage(rows=rows, next_cursor=next_cursor)


async def list_jobs(
    *,
    status: str | None = None,
    kind: str | None = None,
    roots_only: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> JobPage:
    """One page of runs, newest first; `next_cursor` continues after the last row."""
    if status is not None and status not in JOB_STATUSES:
        raise FilterError(f"status: unknown value {status!r} (one of {', '.join(JOB_STATUSES)})")
    match = JobFilter(status=status, kind=kind, roots_only=roots_only)
    return await search_jobs(match, cursor=cursor, limit=limit)


@dataclass(frozen=True)
class Estimate:
    """How many runs match: counted exactly up to a cap, estimated by the planner past it."""

    count: int
    exact: bool
    at_least: bool = False  # SQLite past the cap: only "more than `count`" is known

    @property
    def words(self) -> str:
        if self.exact:
            return f"{self.count:,}"
        return f"more than {self.count:,}" if self.at_least else f"about {self.count:,}"


async def estimate_matching(f: JobFilter, *, cap: int = 1000) -> Estimate:
    """Runs matching `f`: a bounded count (never a full COUNT(*)); past `cap`, the planner's guess
    on Postgres (EXPLAIN), a bounded count up to `cap` on SQLite (it has no row estimate)."""
    db = Job._meta.db
    terms = job_conditions(f)
    inner = _where(Job.select(Job.job_id), terms).limit(cap + 1).querystrings[0]
    rows = await db.run_querystring(QueryString("SELECT count(*) AS n FROM ({}) AS capped", inner))
    counted = int(rows[0]["n"])
    if counted <= cap:
        return Estimate(counted, exact=True)
    if db.engine_type != "postgres":
        return Estimate(cap, exact=False, at_least=True)
    if not terms:
        rows = await db.run_querystring(
            QueryString("SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'job'")
        )
        return Estimate(max(cap, int(rows[0]["n"])), exact=False)
    plain = _where(Job.select(Job.job_id), terms).querystrings[0]
    rows = await db.run_querystring(QueryString("EXPLAIN (FORMAT JSON) {}", plain))
    plan = rows[0]["QUERY PLAN"]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return Estimate(max(cap, int(plan[0]["Plan"]["Plan Rows"])), exact=False)


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
