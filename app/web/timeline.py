"""The timeline at /timeline/{kind}/{id}: an album's, artist's, track's or job's chain as a job tree.

HTMX gets a named block of timeline.html: the whole section (the include on an album page loads it),
`?part=tree` (a live refresh), or `?root=<job>` (the jobs beneath one root, when it opens).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ControllerRouterHandler
from piccolo.columns import Column
from piccolo.table import Table

from app.catalog.tables import Album, Artist, Track
from app.jobs.summary import describe as describe_sync
from app.jobs.tables import Job
from app.llamalog import live
from app.llamalog.filters import FilterError, parse_filter
from app.llamalog.tables import CATEGORIES
from app.llamalog.timeline import Subject, load_root, load_timeline, timeline_filter
from app.web.templating import is_htmx, render

_LABELS: dict[str, tuple[type[Table], Column]] = {
    "ALBUM": (Album, Album.title),
    "ARTIST": (Artist, Artist.name),
    "TRACK": (Track, Track.title),
}
_PAGES = {"ALBUM": "/albums/", "ARTIST": "/artists/", "TRACK": "/tracks/", "JOB": "/jobs/"}


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params.keys()}


def _uuid_params(request: Request, name: str) -> list[uuid.UUID]:
    out = []
    for value in request.query_params.getall(name, []):
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            raise FilterError(f"{name}: {value!r} is not a job id") from None
    return out


async def subject_label(subject: Subject) -> str:
    if subject.kind == "JOB":
        job = await Job.select(Job.kind).where(Job.job_id == subject.id).first()
        return f"job {job['kind'] if job else str(subject.id)[:8]}"
    table, column = _LABELS[subject.kind]
    row = await table.select(column).where(table._meta.primary_key == subject.id).first()
    if row is None:
        return f"{subject.kind.lower()} {str(subject.id)[:8]}"
    return str(row[column._meta.name])


async def _why_nothing_logged(job_id: uuid.UUID) -> str | None:
    """A sync run that logged nothing says why (its summary), rather than "nothing logged yet"."""
    job = await Job.select().where(Job.job_id == job_id).output(load_json=True).first()
    words = describe_sync(job) if job else None
    return words.get("why_empty") if words else None


@get("/timeline/{kind:str}/{ident:str}", name="timeline")
async def timeline_page(request: Request, kind: str, ident: str) -> Response[str]:
    """The timeline; HTMX gets the section, `part=tree` or one root's jobs (`root=<job id>`)."""
    subject = Subject.parse(kind, ident)
    flt = parse_filter(_params(request))
    base = timeline_filter(flt.categories, flt.cursor)
    cat_qs = urlencode([("category", c) for c in flt.categories])
    context: dict[str, object] = {
        "subject": subject,
        "selected": flt.categories,
        "categories": CATEGORIES,
        "cat_qs": cat_qs,
    }
    roots = _uuid_params(request, "root")
    if roots and is_htmx(request):
        context["group"] = await load_root(subject, base, roots[0])
        return render(request, "timeline.html", context, block="root_body")
    t = await load_timeline(subject, base)
    context.update(
        t=t,
        open_roots={str(r) for r in _uuid_params(request, "open")},
        last_id=t.page.last_id or 0,
        live=flt.cursor is None,
        older_qs=base.with_cursor(t.page.next_cursor).urlencode() if t.page.next_cursor else "",
    )
    if subject.kind == "JOB" and not flt.categories:
        context["why_empty"] = await _why_nothing_logged(subject.id)
    if is_htmx(request):
        block = "tree" if request.query_params.get("part") == "tree" else "timeline"
        return render(request, "timeline.html", context, block=block)
    context.update(label=await subject_label(subject), subject_url=_PAGES[subject.kind] + str(subject.id))
    return render(request, "timeline.html", context)


async def _pings(
    subject: Subject, categories: tuple[str, ...], after: int | None
) -> AsyncIterator[ServerSentEventMessage]:
    yield ServerSentEventMessage(data=None, comment="🦙 live", retry=2000)
    flt = timeline_filter(categories)
    async for row in live.follow(flt, after, scope=subject.scope(), holds=subject.holds):
        if row is None:
            yield ServerSentEventMessage(data=None, comment="keepalive")
        else:
            yield ServerSentEventMessage(data=str(row["id"]), event="row", id=row["id"])


@get("/timeline/{kind:str}/{ident:str}/stream", name="timeline_stream")
async def timeline_stream(request: Request, kind: str, ident: str) -> ServerSentEvent:
    """A `row` event (data = row id) for each new row in the timeline; the page then refreshes."""
    subject = Subject.parse(kind, ident)
    flt = parse_filter(_params(request))
    after = live.resume_from(request.headers.get("last-event-id"), request.query_params.get("after"))
    return ServerSentEvent(_pings(subject, flt.categories, after))


ROUTES: list[ControllerRouterHandler] = [timeline_page, timeline_stream]
