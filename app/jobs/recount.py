"""Counts of a run that was delivered more than once, squared with what its LlamaLog rows say.

Each delivery starts its counts from zero (an album an earlier delivery created is then "skipped"),
so when a re-run finishes, what the earlier deliveries created is taken from the log: the album's
CREATED row carries the run's job id, its artists' and tracks' rows name the run as their parent.
"""

from __future__ import annotations

import uuid
from typing import cast

from piccolo.columns.combination import And

from app.db import Clause, ColumnUpdates
from app.jobs.rows import JobRow
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog


async def _count(where: Clause) -> int:
    return int(await LlamaLog.count().where(where))


async def logged_counts(job_id: str, root_job_id: str | uuid.UUID | None) -> dict[str, int]:
    """What the log says the run created or linked, over all its deliveries."""
    job = uuid.UUID(str(job_id))
    tree = LlamaLog.root_job_id == uuid.UUID(str(root_job_id or job_id))  # served by an index
    own = tree & (LlamaLog.job_id == job)
    child = tree & (LlamaLog.parent_job_id == job)

    def about(entity_type: str, category: str) -> And:
        return (LlamaLog.entity_type == entity_type) & (LlamaLog.category == category)

    return {
        "albums_created": await _count(own & about("ALBUM", "CREATED")),
        "artists_created": await _count(child & about("ARTIST", "CREATED")),
        "artists_linked": await _count(child & about("ARTIST", "LINKED")),
        "tracks_created": await _count(child & about("TRACK", "CREATED")),
    }


async def squared_counts(job_id: str) -> ColumnUpdates:
    """For a re-run about to finish: what earlier deliveries created counts as created, not skipped.

    Returns column values for the finishing write (the attempt's own counts must be written first).
    """
    row = cast(JobRow | None, await Job.select().where(Job.job_id == job_id).first())
    if row is None:
        return {}
    logged = await logged_counts(job_id, row["root_job_id"])
    earlier_albums = max(0, logged["albums_created"] - row["albums_created"])
    values: ColumnUpdates = {
        getattr(Job, name): n for name, n in logged.items() if n > (cast(int, row.get(name)) or 0)
    }
    if earlier_albums:
        values[Job.albums_skipped] = max(0, (row["albums_skipped"] or 0) - earlier_albums)
    return values
