"""The jobs pages: /jobs (runs, schedule, run a sync now), /jobs/{id} (progress, tree, rows), /api/jobs."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.column_limits import column_problem, text_problem
from app.config import get_settings
from app.jobs.launch import NotRetryable, UnknownActor, retry_job
from app.jobs.queries import JobDetail, JobNode, job_detail, list_jobs
from app.jobs.schedule import next_runs, run_now
from app.jobs.tables import JOB_STATUSES, RETRYABLE_STATUSES, UNFINISHED_STATUSES, Job
from app.llamalog.filters import FilterError, LogFilter
from app.llamalog.queries import list_logs
from app.not_found import NotFound
from app.runtime import runtime_status
from app.web.inert_json import inert_json
from app.web.templating import is_htmx, render

JOB_ROWS = 20
LABELS = {"spotify": "Spotify", "musicbrainz": "MusicBrainz"}


def _one(request: Request, name: str) -> str | None:
    value = (request.query_params.get(name) or "").strip()
    column = Job._meta.get_column_by_name(name) if name in ("kind", "status") else None
    problem = column_problem(column, value) if column is not None else text_problem(value)
    if problem:
        raise FilterError(f"{name}: {problem}")
    return value or None


def _limit(request: Request, default: int = 50) -> int:
    raw = _one(request, "limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise FilterError(f"limit: {raw!r} is not a number") from None
    if not 1 <= limit <= 200:
        raise FilterError("limit: must be between 1 and 200")
    return limit


def _job_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _sources() -> dict[str, str]:
    """Schedules that cannot run here, with the reason (a source without credentials)."""
    settings = get_settings()
    if settings.spotify_client_id and settings.spotify_client_secret:
        return {}
    return {"spotify": "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set"}


@get("/jobs", name="jobs")
async def jobs_page(request: Request) -> Response[str]:
    """Runs newest first (filters: status, kind), the schedule, and run-now buttons."""
    status, kind, cursor = _one(request, "status"), _one(request, "kind"), _one(request, "cursor")
    roots = _one(request, "roots") in ("1", "on", "true")
    limit = _limit(request)
    page = await list_jobs(status=status, kind=kind, roots_only=roots, cursor=cursor, limit=limit)
    filters = [
        (k, v) for k, v in (("status", status), ("kind", kind), ("roots", "1" if roots else None)) if v
    ]
    if limit != 50:
        filters.append(("limit", str(limit)))
    context: dict[str, Any] = {
        "page": page,
        "status": status,
        "kind": kind,
        "roots": roots,
        "labels": LABELS,
        "statuses": JOB_STATUSES,
        "filter_qs": urlencode(filters),
        "next_qs": urlencode([*filters, ("cursor", page.next_cursor)]) if page.next_cursor else "",
        "cursor": cursor,
        "active": any(job["status"] in UNFINISHED_STATUSES for job in page.rows),
        "retryable": RETRYABLE_STATUSES,
    }
    if is_htmx(request) and request.query_params.get("part") == "runs":
        return render(request, "jobs.html", context, block="runs")
    context.update(schedule=await next_runs(), disabled=_sources(), runtime=runtime_status())
    return render(request, "jobs.html", context)


def _tree_json(node: JobNode) -> dict[str, Any]:
    return {**node.job, "children": [_tree_json(child) for child in node.children]}


@get("/jobs/{ident:str}", name="job")
async def job_page(request: Request, ident: str) -> Response[str]:
    """One run: live progress and counts (HTMX polls `?part=progress`), its job tree and its rows."""
    job_id = _job_id(ident)
    if job_id is None:
        raise NotFound(f"{ident!r} is not a job id.")
    detail = await job_detail(job_id)
    context: dict[str, Any] = {
        "detail": detail,
        "job_id": job_id,
        "active": UNFINISHED_STATUSES,
        "retryable": RETRYABLE_STATUSES,
    }
    if is_htmx(request) and request.query_params.get("part") == "progress":
        if detail is None:
            raise NotFound("There is no run with that id.")
        return render(request, "job.html", context, block="progress")
    rows = await list_logs(LogFilter(job=job_id, limit=JOB_ROWS))
    if detail is None and not rows.rows:
        raise NotFound("There is no job with that id: no run and no log rows.")
    context.update(rows=rows, row_qs=f"job={job_id}", keep=JOB_ROWS)
    return render(request, "job.html", context)


def _user(request: Request) -> Any:
    return request.scope.get("user")


@post("/jobs/{ident:str}/retry", name="job_retry")
async def job_retry(request: Request, ident: str) -> Response[str]:
    """Run a failed or cancelled job again; go to the new run."""
    job_id = _job_id(ident)
    if job_id is None:
        raise NotFound("There is no run with that id.")
    try:
        new_id = await retry_job(job_id, _user(request))
    except (NotRetryable, UnknownActor) as exc:
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)
    return Redirect(f"/jobs/{new_id}", status_code=303)


@post("/jobs/run/{name:str}", name="job_run_now")
async def job_run_now(request: Request, name: str) -> Response[str]:
    """Start a scheduled sync by hand ("run a sync now"); go to its run."""
    if name in _sources():
        message = f"{LABELS.get(name, name)} cannot run here: {_sources()[name]}."
        return render(request, "error.html", {"status": 400, "message": message}, status_code=400)
    try:
        new_id = await run_now(name, _user(request))
    except UnknownActor as exc:
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)
    except LookupError:
        raise NotFound(f"There is no schedule called {name!r}.") from None
    return Redirect(f"/jobs/{new_id}", status_code=303)


@get("/api/jobs", name="api_jobs", tags=["jobs"], middleware=[inert_json])
async def api_jobs(request: Request) -> dict[str, Any]:
    """Runs newest first; filters `status`, `kind`; keyset pages through `cursor`."""
    status, kind = _one(request, "status"), _one(request, "kind")
    page = await list_jobs(status=status, kind=kind, cursor=_one(request, "cursor"), limit=_limit(request))
    next_url = None
    if page.next_cursor:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"/api/jobs?{urlencode([*params, ('cursor', page.next_cursor)])}"
    return {"rows": page.rows, "count": len(page.rows), "next_cursor": page.next_cursor, "next": next_url}


@get("/api/jobs/{ident:str}", name="api_job", tags=["jobs"], middleware=[inert_json])
async def api_job(ident: str) -> Response[dict[str, Any]]:
    """One run with the tree of runs it belongs to."""
    job_id = _job_id(ident)
    detail: JobDetail | None = await job_detail(job_id) if job_id else None
    if detail is None:
        raise NotFound("no such job")
    return Response(
        {
            "job": detail.job,
            "tree": _tree_json(detail.tree),
            "size": detail.size,
            "truncated": detail.truncated,
            "status_counts": detail.status_counts,
        }
    )


ROUTES: list[ControllerRouterHandler] = [jobs_page, job_page, job_retry, job_run_now, api_jobs, api_job]
