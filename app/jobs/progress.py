"""Progress and counts of the running job, reported from inside a service.

    await job_progress(done=i, total=len(items))
    await job_count(albums_created=1)

The running job comes from the job context, so services do not thread ids; outside a worker run
(a web request, a service called inline) the calls do nothing. Writes are throttled:
one UPDATE per PROGRESS_INTERVAL per job (per item when the total is small); whatever is pending
when the job ends goes out with its final status.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from app.db import ColumnUpdates
from app.jobs.tables import Job
from app.llamalog.context import get_current_job

COUNT_FIELDS = (
    "albums_created",
    "albums_updated",
    "albums_skipped",
    "artists_created",
    "artists_linked",
    "tracks_created",
    "failures",
)
PROGRESS_INTERVAL = 1.0
# Up to this many items, every progress report is written.
SMALL_TOTAL = 100


@dataclass
class Pending:
    done: int | None = None
    total: int | None = None
    counts: Counter[str] = field(default_factory=Counter)
    last_write: float = 0.0
    known_total: int = 0

    def update_values(self) -> ColumnUpdates:
        values: ColumnUpdates = {}
        if self.done is not None:
            values[Job.progress_done] = self.done
        if self.total is not None:
            values[Job.progress_total] = self.total
        for name, n in self.counts.items():
            if n:
                column = getattr(Job, name)
                values[column] = column + n
        return values


_pending: dict[str, Pending] = {}
_lock = threading.Lock()


def begin(job_id: str) -> None:
    """A worker starts running `job_id`: from now on its reports are kept (the middleware calls this)."""
    with _lock:
        _pending.setdefault(job_id, Pending())


def _due(pending: Pending, now: float) -> bool:
    return pending.known_total <= SMALL_TOTAL or now - pending.last_write >= PROGRESS_INTERVAL


async def job_progress(done: int, total: int | None = None) -> None:
    """The running job has done `done` of `total` items (total may be given once)."""
    ctx = get_current_job()
    if ctx is None:
        return
    now = time.monotonic()
    with _lock:
        pending = _pending.get(ctx.job_id)
        if pending is None:
            return
        pending.done = max(0, int(done))
        if total is not None:
            pending.total = max(0, int(total))
            pending.known_total = pending.total
        due = _due(pending, now) or (pending.known_total and pending.done >= pending.known_total)
    if due:
        await flush(ctx.job_id)


async def job_count(**increments: int) -> None:
    """Add to the running job's counts, e.g. `job_count(albums_skipped=1, tracks_created=12)`."""
    unknown = set(increments) - set(COUNT_FIELDS)
    if unknown:
        raise ValueError(f"unknown job counts: {', '.join(sorted(unknown))}")
    ctx = get_current_job()
    if ctx is None:
        return
    with _lock:
        pending = _pending.get(ctx.job_id)
        if pending is None:
            return
        pending.counts.update({k: int(v) for k, v in increments.items()})
        due = _due(pending, time.monotonic())
    if due:
        await flush(ctx.job_id)


async def flush(job_id: str) -> None:
    """Write what is pending for `job_id` now (one UPDATE)."""
    with _lock:
        pending = _pending.get(job_id)
        if pending is None:
            return
        values = pending.update_values()
        pending.done = pending.total = None
        pending.counts = Counter()
        pending.last_write = time.monotonic()
    if values:
        await Job.update(values).where(Job.job_id == job_id)


def take_pending(job_id: str) -> Pending | None:
    """Remove and return what is pending for a job that is ending."""
    with _lock:
        return _pending.pop(job_id, None)
