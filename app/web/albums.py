"""Album pages: the album list, adding an album from a search (MusicBrainz, Spotify, Discogs) or by hand."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.catalog.add_release import add_release
from app.catalog.listing import AlbumPage, AlbumQuery, list_albums, parse_album_query
from app.catalog.new_album import NEW_ALBUM_FIELDS, add_album_by_hand
from app.catalog.state import BROKEN_REASONS
from app.catalog.tables import DATA_QUALITIES, ENRICHMENT_STATUSES
from app.catalog.validation import RELEASE_TYPES, ValidationError
from app.correction.release_search import (
    MAX_QUERY,
    SOURCE_NAMES,
    SearchRefused,
    existing_album,
    release_in_full,
    search_releases,
)
from app.llamalog.filters import FilterError
from app.llamalog.tables import SOURCES
from app.sources.errors import SourceError
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


def _new_context(
    values: Mapping[str, object], errors: dict[str, str] | None = None, **search: object
) -> dict[str, object]:
    return {
        "values": values,
        "errors": errors or {},
        "fields": NEW_ALBUM_FIELDS,
        "release_types": RELEASE_TYPES,
        "q": "",
        "search": None,
        "search_error": None,
        "existing": None,
        "max_query": MAX_QUERY,
        **search,
    }


@get("/albums/new", name="album_new")
async def new_album_form(request: Request) -> Response[str]:
    """The search (MusicBrainz, Spotify, Discogs) when `q` is given, and the hand-entry form."""
    block = "search_results" if request.headers.get("hx-target") == "search-results" else "content"
    if "q" not in request.query_params:
        return render(request, "album_new.html", _new_context({}))
    q = request.query_params.get("q", "")
    try:
        found = await search_releases(q)
    except SearchRefused as exc:
        context = _new_context({}, q=q, search_error=str(exc))
        return render(request, "album_new.html", context, block=block, status_code=400)
    context = _new_context({}, q=q, search=found)
    return render(request, "album_new.html", context, block=block, status_code=200)


@post("/albums/new/add", name="album_new_add")
async def new_album_from_search(request: Request, data: Form) -> Response[str]:
    """Save one search result: the album, its artists and tracks; an album already here is offered."""
    key, q = str(data.get("key", "")), str(data.get("q", ""))[: MAX_QUERY * 2]
    try:
        owner = await existing_album(key)
        if owner is None:
            source, album = await release_in_full(key)
            added = await add_release(album, source=source)
            if added.created is not None:
                return Redirect(f"/albums/{added.album_id}", status_code=303)
            owner = added.album_id
    except SearchRefused as exc:
        context = _new_context({}, q=q, search_error=str(exc))
        return render(request, "album_new.html", context, status_code=400)
    except SourceError as exc:
        source = SOURCE_NAMES.get(exc.source, exc.source.title()) or "The source"
        message = f"{source} did not give the release: {exc.message} ({exc.error_code})."
        status = 404 if exc.error_code == "NOT_FOUND" else 502
        context = _new_context({}, q=q, search_error=message)
        return render(request, "album_new.html", context, status_code=status)
    return render(request, "album_new.html", _new_context({}, q=q, existing=owner), status_code=409)


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
ROUTES: list[ControllerRouterHandler] = [albums_page, new_album_form, new_album_submit, new_album_from_search]
