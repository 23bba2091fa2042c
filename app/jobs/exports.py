"""An export of the log is a job on the record: who, which filters, how many rows, how it ended."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from piccolo.columns.combination import Or, Where

from app.jobs.tables import Job, JobStatus
from app.llamalog.context import JobContext
from app.llamalog.export import ExportCount, export_bytes
from app.llamalog.filters import LogFilter

JOB_KIND = "export"


@dataclass(frozen=True)
class ExportRequest:
    flt: LogFilter
    fmt: str
    bom: bool = False
    newest_first: bool = True
    scope: Where | Or | None = None  # a Piccolo where clause (a chain), or None for the whole log
    what: str = "logs"  # "logs" or "chain:<ENTITY_TYPE>:<id>", as the job's args say


async def _open_job(request: ExportRequest, ctx: JobContext | None) -> uuid.UUID:
    job_id = uuid.UUID(ctx.job_id) if ctx else uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    await Job.insert(
        Job(
            job_id=job_id,
            kind=JOB_KIND,
            actor=None,
            args=[request.what],
            kwargs={
                "format": request.fmt,
                "bom": request.bom,
                "filters": request.flt.urlencode(with_cursor=False),
            },
            status=JobStatus.running,
            root_job_id=job_id,
            triggered_by=ctx.triggered_by if ctx else "system",
            user_id=ctx.user_id if ctx else None,
            username=ctx.username if ctx else None,
            created_at=now,
            started_at=now,
            heartbeat_at=now,
        )
    ).on_conflict(target=Job.job_id, action="DO NOTHING")
    return job_id


async def _close_job(job_id: uuid.UUID, rows: int, status: JobStatus, error: str | None = None) -> None:
    now = dt.datetime.now(dt.UTC)
    await Job.update(
        {
            Job.status: status,
            Job.progress_done: rows,
            Job.progress_total: rows,
            Job.finished_at: now,
            Job.heartbeat_at: now,
            Job.error: error,
            Job.summary: {"rows": rows},
        }
    ).where(Job.job_id == job_id)


async def logged_export(request: ExportRequest, ctx: JobContext | None) -> AsyncIterator[bytes]:
    """The export's bytes, chunk by chunk; its Job row says running, then succeeded with the row count
    (or cancelled, with the rows sent so far, when the client goes away)."""
    job_id = await _open_job(request, ctx)
    count = ExportCount()
    chunks = export_bytes(
        request.flt,
        request.fmt,
        count,
        bom=request.bom,
        newest_first=request.newest_first,
        scope=request.scope,
    )
    try:
        async with contextlib.aclosing(chunks):  # its cursor and connection go back, whatever happens
            async for chunk in chunks:
                yield chunk
    except BaseException as exc:
        stopped = f"stopped after {count.rows} rows: {type(exc).__name__}"
        await _close_job(job_id, count.rows, JobStatus.cancelled, error=stopped)
        raise
    await _close_job(job_id, count.rows, JobStatus.succeeded)
