"""A job tree as a page shows it: levels with status counts, failures first, and "retry the failed
branch", which sends every failed run again inside the same tree (same root, same parent)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from app.jobs.launch import User, enqueue
from app.jobs.queries import JobDetail, JobNode, job_detail
from app.jobs.tables import UNFINISHED_STATUSES, JobStatus

# Failures first, then what is still going, then what went well.
RANK: dict[str, int] = {
    JobStatus.failed.value: 0,
    JobStatus.stalled.value: 1,
    JobStatus.cancelled.value: 2,
    JobStatus.retrying.value: 3,
    JobStatus.running.value: 4,
    JobStatus.queued.value: 5,
    JobStatus.succeeded.value: 6,
}


@dataclass(frozen=True)
class Level:
    depth: int
    runs: int
    counts: dict[str, int]  # status → runs, failures first


@dataclass(frozen=True)
class TreeView:
    detail: JobDetail
    root: JobNode
    levels: list[Level]
    failed: int  # runs that "retry the failed branch" would send again
    live: bool  # some run in the tree is not over


def _has_failure(node: JobNode) -> bool:
    return node.job.get("status") == JobStatus.failed or any(_has_failure(c) for c in node.children)


def _sort(node: JobNode) -> None:
    node.children.sort(
        key=lambda c: (not _has_failure(c), RANK.get(c.job.get("status") or "", 9), c.job.get("created_at"))
    )
    for child in node.children:
        _sort(child)


def _levels(root: JobNode) -> list[Level]:
    levels: list[Level] = []
    layer, depth = [root], 0
    while layer:
        counts = Counter(str(n.job.get("status") or "no run record") for n in layer)
        ordered = dict(sorted(counts.items(), key=lambda kv: RANK.get(kv[0], 9)))
        levels.append(Level(depth, len(layer), ordered))
        layer = [child for node in layer for child in node.children]
        depth += 1
    return levels


def _branch(root: JobNode) -> list[dict[str, Any]]:
    """Failed runs to send again: not already retried, and not under a failed run being sent again
    (that run's new attempt starts its own children)."""
    retried = {str(n["retry_of"]) for n in _walk(root) if n.get("retry_of")}
    picked: list[dict[str, Any]] = []

    def visit(node: JobNode) -> None:
        job = node.job
        if job.get("status") == JobStatus.failed and str(job["job_id"]) not in retried:
            picked.append(job)
            return
        for child in node.children:
            visit(child)

    visit(root)
    return picked


def _walk(node: JobNode) -> list[dict[str, Any]]:
    return [node.job, *(job for child in node.children for job in _walk(child))]


async def tree_view(job_id: uuid.UUID) -> TreeView | None:
    """The tree `job_id` belongs to, from its root (two queries)."""
    detail = await job_detail(job_id)
    if detail is None:
        return None
    root = detail.tree
    _sort(root)
    live = any(job.get("status") in UNFINISHED_STATUSES for job in _walk(root))
    return TreeView(detail, root, _levels(root), len(_branch(root)), live)


async def retry_failed_branch(job_id: uuid.UUID, user: User) -> list[str]:
    """Send every failed run of `job_id`'s tree again as `user`, with the same root and parent ids,
    so the new runs and their rows join the same tree; returns the new job ids."""
    view = await tree_view(job_id)
    if view is None:
        return []
    root_id = str(view.root.job["job_id"])
    sent = []
    for job in _branch(view.root):
        # A failed root's new attempt hangs under it: a tree has one root.
        parent = str(job["parent_job_id"]) if job.get("parent_job_id") else root_id
        sent.append(
            await enqueue(
                job["actor"] or job["kind"],
                job.get("args") or (),
                job.get("kwargs") or {},
                triggered_by="user",
                user_id=user.id,
                username=user.username,
                retry_of=str(job["job_id"]),
                parent_job_id=parent,
                root_job_id=root_id,
            )
        )
    return sent
