"""Catalog pages: the dashboard, album lists and the fix queue, adding an album (registered by app.main)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from app.admin_db import ROUTES as ADMIN_DB_ROUTES
from app.catalog import dashboard as dash
from app.catalog.activity_chart import build_chart
from app.catalog.album_pages import ROUTES as ALBUM_ROUTES
from app.catalog.api import ROUTES as API_ROUTES
from app.catalog.job_actions import retry_failed_job, retryable_jobs
from app.catalog.listing import AlbumPage, AlbumQuery, list_albums, parse_album_query
from app.catalog.new_album import NEW_ALBUM_FIELDS, add_album_by_hand
from app.catalog.state import BROKEN_REASONS
from app.catalog.tables import DATA_QUALITIES, ENRICHMENT_STATUSES
from app.catalog.tracks_pages import ROUTES as TRACK_ROUTES
from app.catalog.validation import RELEASE_TYPES, ValidationError
from app.column_limits import column_problem
from app.llamalog.filters import FilterError
from app.llamalog.tables import CATEGORIES, SOURCES, LlamaLog
from app.web import is_htmx, render

FILTER_PARAMS = ("q", "reason", "quality", "source", "enrichment")
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/", name="dashboard")
async def dashboard(request: Request, retried: str | None = None) -> Response[str]:
    if request.headers.get("hx-target") == "running-jobs":  # the panel refreshing itself
        jobs = {"jobs": await dash.running_jobs(20)}
        return render(request, "dashboard.html", jobs, block="running_jobs")
    activity = await dash.activity_by_day(14)
    failures = await dash.recent_failures(10)
    reasons, broken_total = await dash.broken_by_reason()
    context = {
        "counts": await dash.catalog_counts(),
        "reasons": reasons,
        "broken_total": broken_total,
        "chart": build_chart(activity["days"], activity["counts"]),
        "categories": CATEGORIES,
        "failures": failures,
        "retryable": await retryable_jobs(failures),
        "jobs": await dash.running_jobs(20),
        "retried": retried,
    }
    return render(request, "dashboard.html", context)


@post("/failures/{log_id:int}/retry", name="failure_retry")
async def failure_retry(request: Request, log_id: int) -> Response[Any]:
    """Run the failed job behind a FAILED log row again, as the logged-in user."""
    if column_problem(LlamaLog.id, log_id):
        message = f"log_id: there is no log row {log_id}"
        return render(request, "error.html", {"status": 404, "message": message}, status_code=404)
    try:
        new_job = await retry_failed_job(log_id, request.scope["user"])
    except (LookupError, ValueError) as exc:  # no such row, not a failed run, unknown actor
        return render(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)
    return Redirect(f"/?retried={new_job}", status_code=303)


def _list_context(request: Request, aq: AlbumQuery | None, page: AlbumPage | None, **extra: Any) -> dict:
    path = request.url.path
    return {
        "aq": aq or AlbumQuery(),
        "page": page,
        "next_url": aq.next_url(path, page.next_cursor) if aq and page and page.next_cursor else None,
        "list_path": path,
        "raw": {
            k: request.query_params.get(k, "") for k in ("q", "reason", "quality", "source", "enrichment")
        },
        "reasons": BROKEN_REASONS,
        "qualities": DATA_QUALITIES,
        "sources": SOURCES,
        "enrichment_statuses": ENRICHMENT_STATUSES,
        **extra,
    }


async def _album_list(request: Request, *, broken: bool) -> Response[str]:
    block = "results" if request.headers.get("hx-target") == "results" else "content"
    try:
        aq = parse_album_query(dict(request.query_params), broken_only=broken)
    except FilterError as exc:
        context = _list_context(request, None, None, broken=broken, error=str(exc))
        return render(request, "albums.html", context, block=block, status_code=400)
    page = await list_albums(aq)
    return render(request, "albums.html", _list_context(request, aq, page, broken=broken), block=block)


@get("/albums", name="albums")
async def albums_page(request: Request) -> Response[str]:
    return await _album_list(request, broken=False)


@get("/albums/broken", name="albums_broken")
async def broken_albums_page(request: Request) -> Response[str]:
    return await _album_list(request, broken=True)


def _new_context(values: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or {},
        "fields": NEW_ALBUM_FIELDS,
        "release_types": RELEASE_TYPES,
    }


@get("/albums/new", name="album_new")
async def new_album_form(request: Request) -> Response[str]:
    return render(request, "album_new.html", _new_context({}))


@post("/albums/new")
async def new_album_submit(request: Request, data: Form) -> Response[Any]:
    values = {name: str(data.get(name, "")) for name, _label, _kind in NEW_ALBUM_FIELDS}
    try:
        album_id = await add_album_by_hand(values)
    except ValidationError as exc:
        return render(request, "album_new.html", _new_context(values, exc.errors), status_code=422)
    if is_htmx(request):
        return Response(content="", status_code=204, headers={"HX-Redirect": f"/albums/{album_id}"})
    return Redirect(f"/albums/{album_id}", status_code=303)


ROUTES: list[Any] = [
    dashboard,
    failure_retry,
    albums_page,
    broken_albums_page,
    new_album_form,
    new_album_submit,
    *ALBUM_ROUTES,
    *TRACK_ROUTES,
    *API_ROUTES,
    *ADMIN_DB_ROUTES,
]
