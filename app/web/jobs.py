"""The jobs pages: /jobs (runs, schedule, run a sync now), /jobs/{id} (progress, tree, rows), /api/jobs."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.auth.users import user_exists
from app.column_limits import column_problem, text_problem
from app.config import get_settings
from app.jobs.bulk import COUNT_CAP, TARGET, BulkError, parse_action, parse_ids, start_bulk, stop_bulk
from app.jobs.charts import chart_data
from app.jobs.filters import (
    DEFAULT_LIMIT,
    PARAMS,
    SOURCE_KINDS,
    JobFilter,
    known_kinds,
    parse_job_filter,
    parse_limit,
)
from app.jobs.launch import NotRetryable, UnknownActor, User, retry_job
from app.jobs.queries import JobDetail, JobNode, estimate_matching, job_detail, search_jobs
from app.jobs.schedule import run_now, schedule_overview, title
from app.jobs.stuck import NotStuck, fail_stuck, stuck_ids
from app.jobs.tables import JOB_STATUSES, RETRYABLE_STATUSES, UNFINISHED_STATUSES, Job
from app.jobs.tree import retry_failed_branch, tree_view
from app.llamalog.filters import FilterError, LogFilter
from app.llamalog.queries import list_logs
from app.not_found import NotFound
from app.runtime import runtime_status
from app.web.inert_json import inert_json
from app.web.job_charts import build_panels, render_panel
from app.web.templating import is_htmx, render

JOB_ROWS = 20
CHART_DAYS = 90


def _one(request: Request, name: str) -> str | None:
    value = (request.query_params.get(name) or "").strip()
    column = Job._meta.get_column_by_name(name) if name in ("kind", "status") else None
    problem = column_problem(column, value) if column is not None else text_problem(value)
    if problem:
        raise FilterError(f"{name}: {problem}")
    return value or None


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


async def _known_user(match: JobFilter) -> JobFilter:
    if match.user and not await user_exists(match.user):
        raise FilterError(f"user: unknown value {match.user!r}; use a username or user id")
    return match


def _filter_links(f: JobFilter, limit: int) -> list[tuple[str, str]]:
    items = f.query_items()
    if limit != DEFAULT_LIMIT:
        items.append(("limit", str(limit)))
    return items


@get("/jobs", name="jobs")
async def jobs_page(request: Request) -> Response[str]:
    """Runs newest first, filtered by kind, status, source, user, since, until, arg (keyset pages)."""
    params = request.query_params
    match = await _known_user(parse_job_filter(params))
    limit, cursor = parse_limit(params), _one(request, "cursor")
    page = await search_jobs(match, cursor=cursor, limit=limit)
    filters = _filter_links(match, limit)
    context: dict[str, object] = {
        "page": page,
        "match": match,
        "status": match.status,
        "kind": match.kind,
        "roots": match.roots_only,
        "statuses": JOB_STATUSES,
        "kinds": known_kinds(),
        "sources": tuple(SOURCE_KINDS),
        "filter_qs": urlencode(filters),
        "filter_items": match.query_items(),
        "next_qs": urlencode([*filters, ("cursor", page.next_cursor)]) if page.next_cursor else "",
        "cursor": cursor,
        "active": any(job["status"] in UNFINISHED_STATUSES for job in page.rows),
        "retryable": RETRYABLE_STATUSES,
        "stuck": stuck_ids(page.rows),
        # Only the first page pays for it, and never a full COUNT(*).
        "estimate": await estimate_matching(match) if cursor is None and page.next_cursor else None,
    }
    if is_htmx(request) and request.query_params.get("part") == "runs":
        return render(request, "jobs.html", context, block="runs")
    schedule, paused = await schedule_overview()
    context.update(schedule=schedule, paused=paused, disabled=_sources(), runtime=runtime_status())
    if cursor is None:  # the charts sit above the first page
        kinds, sources = build_panels(await chart_data(CHART_DAYS))
        context.update(
            kind_charts=[
                (p, render_panel(p, "runs", f"chart-kind-{i}"), f"chart-kind-{i}")
                for i, p in enumerate(kinds, 1)
            ],
            source_charts=[
                (p, render_panel(p, "requests", f"chart-source-{i}"), f"chart-source-{i}")
                for i, p in enumerate(sources, 1)
            ],
            chart_days=CHART_DAYS,
        )
    return render(request, "jobs.html", context)


def _bad(request: Request, message: str) -> Response[str]:
    return render(request, "error.html", {"status": 400, "message": message}, status_code=400)


@post("/jobs/bulk", name="jobs_bulk")
async def jobs_bulk(request: Request) -> Response[Any]:
    """Bulk retry (failed runs) or cancel (queued runs) of the ticked rows or of everything matching
    the filter (an estimate first, then confirm); the bulk action is a job of its own."""
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    try:
        action = parse_action(fields.get("action"))
        if fields.get("everything"):
            wanted = {k: v for k, v in fields.items() if k in PARAMS or k == "roots"}
            match = await _known_user(parse_job_filter(wanted))
            if not fields.get("confirm"):
                target = match.with_status(TARGET[action].value)
                context = {
                    "action": action.value,
                    "target": TARGET[action].value,
                    "estimate": await estimate_matching(target, cap=COUNT_CAP),
                    "filter_items": match.query_items(),
                    "filter_qs": match.urlencode(),
                }
                return render(request, "jobs_bulk.html", context)
            job_id = await start_bulk(action, _user(request), match=match)
        else:
            ids = parse_ids([v for k, v in form.multi_items() if k == "job" and isinstance(v, str)])
            job_id = await start_bulk(action, _user(request), ids=ids)
    except BulkError as exc:
        return _bad(request, str(exc))
    return Redirect(f"/jobs/{job_id}", status_code=303)


@post("/jobs/{ident:str}/fail", name="job_fail")
async def job_fail(request: Request, ident: str) -> Response[Any]:
    """Fail a stuck run (no heartbeat past its limit), on the record with the user."""
    job_id = _job_id(ident)
    if job_id is None:
        raise NotFound("There is no run with that id.")
    try:
        await fail_stuck(job_id, _user(request))
    except NotStuck as exc:
        return _bad(request, f"Not failed: {exc}.")
    return Redirect(f"/jobs/{job_id}", status_code=303)


@post("/jobs/{ident:str}/stop", name="job_stop")
async def job_stop(request: Request, ident: str) -> Response[Any]:
    """Stop a bulk action after its current batch."""
    job_id = _job_id(ident)
    if job_id is None or not await stop_bulk(job_id):
        return _bad(request, "Only a bulk action that is still running can be stopped.")
    return Redirect(f"/jobs/{job_id}", status_code=303)


def _tree_json(node: JobNode) -> dict[str, object]:
    return {**node.job, "children": [_tree_json(child) for child in node.children]}


@get("/jobs/{ident:str}", name="job")
async def job_page(request: Request, ident: str) -> Response[str]:
    """One run: live progress and counts (HTMX polls `?part=progress`), its job tree and its rows."""
    job_id = _job_id(ident)
    if job_id is None:
        raise NotFound(f"{ident!r} is not a job id.")
    detail = await job_detail(job_id)
    context: dict[str, object] = {
        "detail": detail,
        "job_id": job_id,
        "active": UNFINISHED_STATUSES,
        "retryable": RETRYABLE_STATUSES,
        "stuck": stuck_ids([detail.job]) if detail else set(),
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


def _user(request: Request) -> User:
    return request.scope.get("user")


@get("/jobs/{ident:str}/tree", name="job_tree")
async def job_tree_page(request: Request, ident: str) -> Response[str]:
    """The run's whole tree from its root: levels with status counts, failures first, durations;
    polled (`?part=tree`) while any run in it is not over."""
    job_id = _job_id(ident)
    view = await tree_view(job_id) if job_id else None
    if view is None:
        raise NotFound("There is no run with that id.")
    context = {"view": view, "job_id": job_id, "retryable": RETRYABLE_STATUSES}
    if is_htmx(request) and request.query_params.get("part") == "tree":
        return render(request, "job_tree.html", context, block="tree")
    return render(request, "job_tree.html", context)


@post("/jobs/{ident:str}/tree/retry", name="job_tree_retry")
async def job_tree_retry(request: Request, ident: str) -> Response[Any]:
    """Retry the failed branch: every failed run of the tree again, in the same tree."""
    job_id = _job_id(ident)
    if job_id is None:
        raise NotFound("There is no run with that id.")
    try:
        await retry_failed_branch(job_id, _user(request))
    except UnknownActor as exc:
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)
    return Redirect(f"/jobs/{job_id}/tree", status_code=303)


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
        message = f"{title(name)} cannot run here: {_sources()[name]}."
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
    """Runs newest first; the /jobs filters; keyset pages through `cursor`."""
    params = request.query_params
    match = await _known_user(parse_job_filter(params))
    page = await search_jobs(match, cursor=_one(request, "cursor"), limit=parse_limit(params))
    next_url = None
    if page.next_cursor:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"/api/jobs?{urlencode([*kept, ('cursor', page.next_cursor)])}"
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


ROUTES: list[ControllerRouterHandler] = [
    jobs_page,
    jobs_bulk,
    job_stop,
    job_fail,
    job_tree_page,
    job_tree_retry,
    job_page,
    job_retry,
    job_run_now,
    api_jobs,
    api_job,
]
