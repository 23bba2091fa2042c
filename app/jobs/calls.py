"""Upstream calls on the record, per job: the jobs package listens to app/sources/http.py.

Sources stay a leaf: they only call the observer installed here (`install`, from `wire`). Each
attempt made inside a job becomes an `upstream_call` row: source, status, latency, limiter wait.
"""

from __future__ import annotations

import uuid

from app.jobs.tables import UpstreamCall
from app.llamalog.context import get_current_job
from app.sources.http import CallReport, observe_calls


async def record_call(report: CallReport) -> None:
    """Keep one attempt made inside a job (outside any job: nothing to tie it to)."""
    ctx = get_current_job()
    if ctx is None:
        return
    await UpstreamCall(
        job_id=uuid.UUID(ctx.job_id),
        source=report.source[:30],
        status=report.status,
        latency_ms=round(report.latency_ms),
        wait_ms=round(report.wait_ms),
    ).save()


def install() -> None:
    observe_calls(record_call)
