"""The 🦙 LlamaLog table at /logs: filters in the URL, keyset pages, rows that open, live rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request, Response, get
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ControllerRouterHandler

from app.llamalog import live
from app.llamalog.filters import DEFAULT_LIMIT, FilterError, LogFilter, parse_filter
from app.llamalog.queries import get_row, list_logs
from app.llamalog.rows import LogRow
from app.llamalog.tables import CATEGORIES, ENTITY_TYPES, SOURCES, STATUSES
from app.web.templating import jinja_env, render

_TEXT_PARAMS = ("operation", "since", "until", "job", "q")


def query_params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params.keys()}


def row_id_param(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise FilterError(f"{name}: {value!r} is not a row number") from None


@get("/logs", name="logs")
async def logs_page(request: Request) -> Response[str]:
    """The log table; `?expand=<id>` / `?collapse=<id>` open or close one row (HTMX gets just it)."""
    params = request.query_params
    expand = row_id_param("expand", params.get("expand"))
    collapse = row_id_param("collapse", params.get("collapse"))
    flt = parse_filter(query_params(request))
    one = expand if expand is not None else collapse
    if one is not None and request.headers.get("hx-request") == "true":
        focus = await get_row(one)
        if focus is None:
            raise FilterError(f"expand: there is no log row #{one}")
        block = "expanded" if expand is not None else "collapsed"
        return render(request, "logs.html", {"focus": focus}, block=block)
    page = await list_logs(flt)
    live_url = None
    if flt.cursor is None:
        base = flt.urlencode(with_cursor=False)
        live_url = f"/logs/stream?{base}{'&' if base else ''}after={page.last_id or 0}"
    context = {
        "flt": flt,
        "page": page,
        "expand": expand,
        "raw": {name: params.get(name) for name in _TEXT_PARAMS},
        "row_qs": flt.urlencode(),
        "next_qs": flt.with_cursor(page.next_cursor).urlencode() if page.next_cursor else "",
        "live_url": live_url,
        "categories": CATEGORIES,
        "entity_types": ENTITY_TYPES,
        "statuses": STATUSES,
        "sources": SOURCES,
        "default_limit": DEFAULT_LIMIT,
    }
    return render(request, "logs.html", context)


def render_row(row: LogRow) -> str:
    """A live row: the same markup as the table's rows, marked fresh."""
    return jinja_env().get_template("log/_rows.html").render(log_rows=[row], fresh=True)


async def _events(flt: LogFilter, after: int | None) -> AsyncIterator[ServerSentEventMessage]:
    # The first comment opens the stream at once and tells EventSource how soon to reconnect.
    yield ServerSentEventMessage(data=None, comment="🦙 live", retry=2000)
    async for row in live.follow(flt, after):
        if row is None:
            yield ServerSentEventMessage(data=None, comment="keepalive")
        else:
            yield ServerSentEventMessage(data=render_row(row), event="row", id=row["id"])


@get("/logs/stream", name="logs_stream")
async def logs_stream(request: Request) -> ServerSentEvent:
    """New rows matching the /logs filters as `<tr>` events (id = row id; Last-Event-ID resumes)."""
    flt = parse_filter(query_params(request))
    after = live.resume_from(request.headers.get("last-event-id"), request.query_params.get("after"))
    return ServerSentEvent(_events(flt, after))


ROUTES: list[ControllerRouterHandler] = [logs_page, logs_stream]
