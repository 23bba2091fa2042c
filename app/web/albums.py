"""Album pages: the album list, the fix queue (/albums/broken), adding an album by hand."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.catalog.listing import AlbumPage, AlbumQuery, list_albums, parse_album_query
from app.catalog.new_album import NEW_ALBUM_FIELDS, add_album_by_hand
from app.catalog.state import BROKEN_REASONS
from app.catalog.tables import DATA_QUALITIES, ENRICHMENT_STATUSES
from app.catalog.validation import RELEASE_TYPES, ValidationError
from app.llamalog.filters import FilterError
from app.llamalog.tables import SOURCES
from app.web.forms import Form
from app.web.templating import is_htmx, render


def _list_context(
    request: Request, aq: AlbumQuery | None, page: AlbumPage | None, **extra: object
) -> dict[str, object]:
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


def _new_context(values: Mapping[str, object], errors: dict[str, str] | None = None) -> dict[str, object]:
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
async def new_album_submit(request: Request, data: Form) -> Response[str]:
    values = {name: str(data.get(name, "")) for name, _label, _kind in NEW_ALBUM_FIELDS}
    try:
        album_id = await add_album_by_hand(values)
    except ValidationError as exc:
        return render(request, "album_new.html", _new_context(values, exc.errors), status_code=422)
    if is_htmx(request):
        return Response(content="", status_code=204, headers={"HX-Redirect": f"/albums/{album_id}"})
    return Redirect(f"/albums/{album_id}", status_code=303)


# /albums/broken (the needs-attention queue) is app/web/fix_queue.py.
ROUTES: list[ControllerRouterHandler] = [albums_page, new_album_form, new_album_submit]
