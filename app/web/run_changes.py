"""What a run changed (/jobs/{job_id}/changes) and the revert of the whole run, started there."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.correction.run_changes import run_changes
from app.correction.run_revert import start_revert
from app.jobs.queries import get_job
from app.web.templating import render


def _missing(request: Request, job_id: uuid.UUID) -> Response[str]:
    message = f"There is no job {job_id}."
    return render(request, "error.html", {"status": 404, "message": message}, status_code=404)


@get("/jobs/{job_id:uuid}/changes", name="run_changes")
async def run_changes_page(request: Request, job_id: uuid.UUID) -> Response[str]:
    """Albums, artists and tracks the run created, fields it changed, tracks it added or removed."""
    job = await get_job(job_id)
    if job is None:
        return _missing(request, job_id)
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
    try:
        revert_id = await start_revert(job_id, user_id=user.id, username=user.username)
    except LookupError:
        return _missing(request, job_id)
    return Redirect(f"/jobs/{revert_id}/changes", status_code=303)


ROUTES: list[ControllerRouterHandler] = [run_changes_page, run_revert_start]
