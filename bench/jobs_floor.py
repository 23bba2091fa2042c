"""The floor for /jobs: a bare Litestar handler running the same statements as the page (the filtered
keyset page, the estimate, the schedule, the charts' data) through a minimal template with the same
columns; no session, no middleware. The charts' markup is the same function's output as on the page
(their size is the feature's, not the framework's), so the ratio measures what the app adds: session,
middleware, the page template. `uvicorn bench.jobs_floor:floor_with_counter --factory`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, get
from litestar.response import Response
from markupsafe import Markup

from app.jobs.charts import chart_data
from app.jobs.filters import parse_job_filter, parse_limit
from app.jobs.queries import estimate_matching, search_jobs
from app.jobs.schedule import next_runs
from app.web.job_charts import build_panels, render_panel
from bench.served import with_counter

TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


@get("/jobs", sync_to_thread=False)
async def jobs(request: Request) -> Response[str]:
    params = request.query_params
    cursor = params.get("cursor")
    match = parse_job_filter(params)
    page = await search_jobs(match, cursor=cursor, limit=parse_limit(params))
    estimate = await estimate_matching(match) if cursor is None and page.next_cursor else None
    schedule = await next_runs()
    charts = ""
    if cursor is None:
        kinds, sources = build_panels(await chart_data(90))
        charts = "".join(render_panel(p, "runs", f"k{i}") for i, p in enumerate([*kinds, *sources]))
    extra = f"{estimate.words if estimate else ''} {len(schedule)}"
    body = TEMPLATES.get_template("floor_jobs.html").render(
        rows=page.rows, next_cursor=page.next_cursor, charts=Markup(charts), extra=extra
    )
    return Response(body, media_type="text/html")


def create_app() -> Any:
    from bench.floor import _close_pool, _start_pool  # the same pool as the app's pages

    return Litestar(route_handlers=[jobs], on_startup=[_start_pool], on_shutdown=[_close_pool])


def floor_with_counter() -> Any:
    return with_counter(create_app())
