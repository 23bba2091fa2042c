"""The timeline: one page of an entity's chain drawn as a tree of jobs, built in memory.

Rows are grouped under their root job and nested by parent_job_id; each group counts its rows per
category so a collapsed root can say what happened beneath it. One query feeds the whole tree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace

from piccolo.columns.combination import Or, Where

from app.llamalog.chain import chain_scope
from app.llamalog.filters import Cursor, FilterError, LogFilter
from app.llamalog.queries import LogPage, as_uuid, fetch_page
from app.llamalog.rows import LogRow
from app.llamalog.tables import CATEGORIES, LlamaLog

TIMELINE_TYPES = ("ALBUM", "ARTIST", "TRACK", "JOB")
PAGE_ROWS = 500

Row = LogRow


@dataclass
class JobNode:
    job_id: str
    parent_job_id: str | None = None
    rows: list[Row] = field(default_factory=list)
    children: list[JobNode] = field(default_factory=list)

    def walk(self) -> list[Row]:
        """Every row in this subtree."""
        out = list(self.rows)
        for child in self.children:
            out.extend(child.walk())
        return out

    @property
    def counts(self) -> list[tuple[str, int]]:
        return _counts(self.walk())


@dataclass
class RootGroup:
    """A root job and everything under it on this page."""

    root: JobNode
    rows: list[Row]

    @property
    def root_job_id(self) -> str:
        return self.root.job_id

    @property
    def headline(self) -> Row:
        return self.root.rows[0] if self.root.rows else self.rows[0]

    @property
    def started_at(self) -> dt.datetime:
        return self.rows[0]["created_at"]

    @property
    def last_id(self) -> int:
        return max(row["id"] for row in self.rows)

    @property
    def child_counts(self) -> list[tuple[str, int]]:
        """Rows beneath the headline, per category."""
        headline_id = self.headline["id"]
        return _counts([row for row in self.rows if row["id"] != headline_id])


def _counts(rows: list[Row]) -> list[tuple[str, int]]:
    counted = Counter(row["category"] for row in rows)
    return [(c, counted[c]) for c in CATEGORIES if counted[c]]


def _key(value: object) -> str | None:
    return str(value) if value else None


def build_tree(rows: list[Row]) -> list[RootGroup]:
    """Group rows by root job, nest jobs by parent; groups newest first, rows oldest first."""
    ordered = sorted(rows, key=lambda r: (r["created_at"], r["id"]))
    groups: dict[str, dict[str, JobNode]] = {}
    group_rows: dict[str, list[Row]] = {}
    for row in ordered:
        job = _key(row.get("job_id")) or f"row-{row['id']}"
        root = _key(row.get("root_job_id")) or job
        nodes = groups.setdefault(root, {root: JobNode(root)})
        node = nodes.setdefault(job, JobNode(job))
        node.rows.append(row)
        parent = _key(row.get("parent_job_id"))
        if job != root and parent and parent != job:
            node.parent_job_id = node.parent_job_id or parent
            nodes.setdefault(parent, JobNode(parent))
        group_rows.setdefault(root, []).append(row)

    result = []
    for root, nodes in groups.items():
        for job, node in nodes.items():
            if job != root:
                _parent_of(node, nodes, root).children.append(node)
        result.append(RootGroup(root=nodes[root], rows=group_rows[root]))
    result.sort(key=lambda g: (g.started_at, g.rows[0]["id"]), reverse=True)
    return result


def _parent_of(node: JobNode, nodes: dict[str, JobNode], root: str) -> JobNode:
    """The node's parent in this group; the root when the parent is unknown or the data loops."""
    seen = {node.job_id}
    parent = node.parent_job_id
    while parent and parent != root:
        if parent in seen or parent not in nodes:
            return nodes[root]
        seen.add(parent)
        parent = nodes[parent].parent_job_id
    return nodes[node.parent_job_id] if node.parent_job_id in nodes else nodes[root]


@dataclass(frozen=True)
class Subject:
    """What a timeline is about: an entity, or a job and the jobs beneath it."""

    kind: str
    id: uuid.UUID

    @classmethod
    def parse(cls, kind: str, ident: str) -> Subject:
        upper = kind.upper()
        if upper not in TIMELINE_TYPES:
            raise FilterError(f"timeline: unknown kind {kind!r}; use one of {', '.join(TIMELINE_TYPES)}")
        try:
            return cls(upper, as_uuid(ident))
        except ValueError:
            raise FilterError(f"timeline: {ident!r} is not an id") from None

    @property
    def path(self) -> str:
        return f"/timeline/{self.kind.lower()}/{self.id}"

    def scope(self) -> Where | Or:
        if self.kind == "JOB":
            return (
                (LlamaLog.job_id == self.id)
                | (LlamaLog.root_job_id == self.id)
                | (LlamaLog.parent_job_id == self.id)
            )
        return chain_scope(self.kind, self.id)

    def holds(self, row: Row) -> bool:
        """The Python twin of scope(), for rows the live feed already read."""
        if self.kind == "JOB":
            return self.id in (row.get("job_id"), row.get("root_job_id"), row.get("parent_job_id"))
        return row.get(f"{self.kind.lower()}_id") == self.id


@dataclass(frozen=True)
class Timeline:
    subject: Subject
    groups: list[RootGroup]
    page: LogPage


def timeline_filter(categories: tuple[str, ...], cursor: Cursor | None = None) -> LogFilter:
    return LogFilter(categories=categories, cursor=cursor, limit=PAGE_ROWS)


async def load_timeline(subject: Subject, flt: LogFilter) -> Timeline:
    """One page of the subject's rows, newest first, as a tree (one query)."""
    page = await fetch_page(flt, newest_first=True, scope=subject.scope())
    return Timeline(subject=subject, groups=build_tree(page.rows), page=page)


async def load_root(subject: Subject, flt: LogFilter, root_job_id: uuid.UUID) -> RootGroup | None:
    """Everything under one root job in the subject's chain (one query), for an expanded root."""
    only_root = replace(flt, job=root_job_id, cursor=None, limit=PAGE_ROWS)
    page = await fetch_page(only_root, newest_first=False, scope=subject.scope())
    groups = [g for g in build_tree(page.rows) if g.root_job_id == str(root_job_id)]
    return groups[0] if groups else None
