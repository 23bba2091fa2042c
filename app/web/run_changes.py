"""What a run changed (/jobs/{job_id}/changes) and the revert of the whole run, started there."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.correction.run_changes import run_changes
from app.correction.run_revert import start_revert
from app.jobs.queries import get_job
from app.not_found import NotFound
from app.web.templating import render


@get("/jobs/{job_id:uuid}/changes", name="run_changes")
async def run_changes_page(request: Request, job_id: uuid.UUID) -> Response[str]:
    """Albums, artists and tracks the run created, fields it changed, tracks it added or removed."""
    job = await get_job(job_id)
    if job is None:
        raise NotFound(f"There is no job {job_id}.")
    summary = job.get("summary")
    summary = json.loads(summary) if isinstance(summary, str) else summary
    context = {
        "job": job,
        "changes": await run_changes(job_id),
        "revert_summary": summary if job.get("kind") == "revert_run" else None,
    }
    return render(request, "run_changes.html", context)


@post("/jobs/{job_id:uuid}/revert", name="run_revert")
async def run_revert_start(request: Request, job_id: uuid.UUID) -> Response[Any]:
    """Start the revert of the whole run as a job; its page shows its progress and conflicts."""
    user = request.scope["user"]
    job = await get_job(job_id)
    if job is not None and job.get("kind") == "revert_run":
        raise ClientException(
            "A revert is not reverted in turn: what it removed is in its rows, and in the run it undid.",
            status_code=409,
        )
    try:
        revert_id = await start_revert(job_id, user_id=user.id, username=user.username)
    except LookupError:
        raise NotFound(f"There is no job {job_id}.") from None
    return Redirect(f"/jobs/{revert_id}/changes", status_code=303)


ROUTES: list[ControllerRouterHandler] = [run_changes_page, run_revert_start]
