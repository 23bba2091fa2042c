"""/jobs/schedules: each scheduled sync in words, its next and last runs, run now, pause / resume,
edit the cron (checked, with a preview of the next runs) and the history of every change."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.config import get_settings
from app.jobs.cron import CronError
from app.jobs.launch import UnknownActor, User
from app.jobs.schedule_state import (
    edit_cron,
    pause_schedule,
    preview,
    resume_schedule,
    run_schedule_now,
    schedule_views,
)
from app.runtime import runtime_status
from app.web.templating import render


def _user(request: Request) -> User:
    return request.scope.get("user")


def _error(request: Request, status: int, message: str) -> Response[str]:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


async def _page(
    request: Request,
    *,
    editing: str | None = None,
    problem: str | None = None,
    typed: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    settings = get_settings()
    context = {
        "views": await schedule_views(),
        "enabled": settings.scheduler_enabled,
        "runtime": runtime_status(),
        "editing": editing,
        "problem": problem,
        "typed": typed,
    }
    return render(request, "schedules.html", context, status_code=status_code)


@get("/jobs/schedules", name="schedules")
async def schedules_page(request: Request) -> Response[str]:
    """The scheduled syncs with their cron in words, next 5 and last runs, and their history."""
    return await _page(request)


@get("/jobs/schedules/preview", name="schedule_preview")
async def schedule_preview(request: Request) -> Response[str]:
    """The next runs of the cron being typed (htmx), or what is wrong with it."""
    expression = (request.query_params.get("cron") or "").strip()
    try:
        words, runs = preview(expression)
        context: dict[str, object] = {"words": words, "runs": runs, "problem": None}
    except CronError as exc:
        context = {"words": None, "runs": [], "problem": str(exc)}
    return render(request, "job/_cron_preview.html", context, block=None)


async def _act(request: Request, name: str, what: str) -> Response[Any]:
    user = _user(request)
    try:
        if what == "pause":
            await pause_schedule(name, user)
        elif what == "resume":
            await resume_schedule(name, user)
        else:
            job_id = await run_schedule_now(name, user)
            return Redirect(f"/jobs/{job_id}", status_code=303)
    except UnknownActor as exc:
        return _error(request, 400, str(exc))
    return Redirect("/jobs/schedules", status_code=303)


@post("/jobs/schedules/{name:str}/pause", name="schedule_pause")
async def schedule_pause(request: Request, name: str) -> Response[Any]:
    return await _act(request, name, "pause")


@post("/jobs/schedules/{name:str}/resume", name="schedule_resume")
async def schedule_resume(request: Request, name: str) -> Response[Any]:
    return await _act(request, name, "resume")


@post("/jobs/schedules/{name:str}/run", name="schedule_run")
async def schedule_run(request: Request, name: str) -> Response[Any]:
    return await _act(request, name, "run")


@post("/jobs/schedules/{name:str}/cron", name="schedule_cron")
async def schedule_cron(request: Request, name: str) -> Response[Any]:
    """Set a schedule's cron; a bad one is a 400 naming the field, the form kept as typed."""
    form = await request.form()
    typed = str(form.get("cron") or "").strip()
    try:
        await edit_cron(name, typed, _user(request))
    except CronError as exc:
        return await _page(request, editing=name, problem=str(exc), typed=typed, status_code=400)
    return Redirect("/jobs/schedules", status_code=303)


ROUTES: list[ControllerRouterHandler] = [
    schedules_page,
    schedule_preview,
    schedule_pause,
    schedule_resume,
    schedule_run,
    schedule_cron,
]
