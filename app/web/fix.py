"""The fix flow on the album page, as HTMX steps into `#fix-step`: candidates → preview → apply → result.

Each step is a URL of its own whose template extends `fix_layout.html`: htmx gets the `fix_step`
block, a plain request (no JavaScript) the whole page. Revert is a POST any page can aim at.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.types import ControllerRouterHandler

from app.catalog.albums import VersionConflict
from app.catalog.tables import Album
from app.column_limits import parse_int
from app.correction.apply import ApplyError
from app.correction.current import load_current
from app.correction.history import recent_corrections
from app.correction.preview import FIELD_NAMES
from app.correction.revert import NothingToRevert, RevertConflict, revert
from app.correction.search import NotALookup, SearchQuery
from app.correction.steps import apply_picks, preview_for_album, search_for_album
from app.llamalog.tables import LlamaLog
from app.not_found import NotFound
from app.sources.errors import SourceError
from app.web.templating import render

BLOCK = "fix_step"


def _step(
    request: Request,
    template: str,
    context: Mapping[str, object],
    status_code: int = 200,
    *,
    changed: bool = False,
) -> Response[str]:
    # `fix-changed` refreshes the panel's list of corrections (and anything else that listens).
    headers = {"HX-Trigger": "fix-changed"} if changed else None
    return render(request, template, context, block=BLOCK, status_code=status_code, headers=headers)


def _album_url(album_id: uuid.UUID) -> str:
    return f"/albums/{album_id}"


@get("/albums/{album_id:uuid}/fix/corrections", name="fix_corrections")
async def fix_corrections(request: Request, album_id: uuid.UUID) -> Response[str]:
    """The album's recent corrections, each with a one-click revert (loaded into the fix panel)."""
    rows = await recent_corrections(album_id)
    return _step(
        request, "fix_history.html", {"rows": rows, "album_id": album_id, "album_url": _album_url(album_id)}
    )


@get("/albums/{album_id:uuid}/fix/candidates", name="fix_candidates")
async def fix_candidates(
    request: Request,
    album_id: uuid.UUID,
    q: str = "",
    title: str = "",
    artist: str = "",
    label: str = "",
) -> Response[str]:
    """Scored candidates for what the admin pasted or typed (blank: the album's title and artist)."""
    query = SearchQuery(pasted=q[:500], title=title[:500], artist=artist[:500], label=label[:300])
    try:
        found = await search_for_album(album_id, query)  # NotFound: no such album, the 404 page
    except NotALookup as exc:  # a mistyped id or link: say so rather than search it as a catalog number
        context = {"album_url": _album_url(album_id), "error": str(exc)}
        return _step(request, "fix_error.html", context, status_code=422)
    return _step(request, "fix_candidates.html", {"found": found, "album_url": _album_url(album_id)})


@get("/albums/{album_id:uuid}/fix/preview", name="fix_preview")
async def fix_preview(request: Request, album_id: uuid.UUID, key: str, discogs_id: str = "") -> Response[str]:
    """The candidate side by side with the album, with the default picks ticked."""
    context: dict[str, object] = {"album_url": _album_url(album_id), "key": key, "discogs_id": discogs_id}
    try:
        context["preview"] = await preview_for_album(album_id, key, discogs_id=discogs_id or None)
    except NotFound:
        raise  # no such album: the 404 page
    except LookupError as exc:
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=404)
    except ValueError as exc:  # not a candidate key: the request is wrong, not the upstream
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=400)
    except SourceError as exc:
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=502)
    return _step(request, "fix_preview.html", context)


@post("/albums/{album_id:uuid}/fix/apply", name="fix_apply")
async def fix_apply(request: Request, album_id: uuid.UUID) -> Response[str]:
    """Apply the ticked fields and tracks with the version the preview was built at."""
    form = await request.form()
    key = str(form.get("key") or "")
    discogs_id = str(form.get("discogs_id") or "") or None
    fields = {str(name) for name in form.getall("field") if name in FIELD_NAMES} if "field" in form else set()
    tracks = {str(value) for value in form.getall("track")} if "track" in form else set()
    context: dict[str, object] = {
        "album_url": _album_url(album_id),
        "key": key,
        "discogs_id": discogs_id or "",
    }
    try:
        version = parse_int(Album.version, form.get("version") or "")
    except ValueError:
        return _step(request, "fix_error.html", {**context, "error": "the form lost its version"}, 400)
    try:
        result = await apply_picks(
            album_id,
            key,
            discogs_id=discogs_id,
            expected_version=version,
            take_fields=fields,
            take_tracks=tracks,
        )
    except VersionConflict as exc:
        context["conflict"] = {"stale_version": version, "version": exc.current.get("version")}
        return await _preview_again(request, album_id, context, 409)
    except ApplyError as exc:
        context["error"] = str(exc)
        return await _preview_again(request, album_id, context, 422)
    except NotFound:
        raise  # no such album: the 404 page
    except LookupError as exc:  # the candidate is gone upstream: say so in the step, as the preview does
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=404)
    except ValueError as exc:  # not a candidate key: the request is wrong, not the upstream
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=400)
    except SourceError as exc:
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=502)
    album = await load_current(album_id)
    return _step(request, "fix_result.html", {**context, "result": result, "album": album}, changed=True)


async def _preview_again(
    request: Request, album_id: uuid.UUID, context: dict[str, Any], status_code: int
) -> Response[str]:
    """The preview rebuilt on the album as it is now, with what went wrong on top."""
    context["preview"] = await preview_for_album(
        album_id, context["key"], discogs_id=context["discogs_id"] or None
    )
    return _step(request, "fix_preview.html", context, status_code=status_code)


@post("/albums/{album_id:uuid}/fix/revert", name="fix_revert")
async def fix_revert(request: Request, album_id: uuid.UUID) -> Response[str]:
    """Undo one log row (`log_id`) or a whole correction job (`job_id`) in one click."""
    form = await request.form()
    in_timeline = bool(form.get("in_timeline"))
    context: dict[str, object] = {"album_url": _album_url(album_id), "in_timeline": in_timeline}
    try:
        log_id = parse_int(LlamaLog.id, form["log_id"]) if form.get("log_id") else None
    except ValueError as exc:
        return _step(request, "fix_error.html", {**context, "error": f"log_id: not a log row ({exc})"}, 400)
    try:
        job_id = uuid.UUID(str(form["job_id"])) if form.get("job_id") and log_id is None else None
    except ValueError:
        return _step(request, "fix_error.html", {**context, "error": "job_id: not a job id"}, 400)
    if log_id is None and job_id is None:
        return _step(request, "fix_error.html", {**context, "error": "name a log row or a job"}, 400)
    try:
        result = await revert(log_id=log_id, job_id=job_id, album_id=album_id)
    except RevertConflict as exc:
        return _step(request, "fix_reverted.html", {**context, "conflicts": exc.conflicts}, status_code=409)
    except NothingToRevert as exc:
        return _step(request, "fix_error.html", {**context, "error": str(exc)}, status_code=404)
    return _step(request, "fix_reverted.html", {**context, "result": result}, changed=result.changed)


ROUTES: list[ControllerRouterHandler] = [fix_corrections, fix_candidates, fix_preview, fix_apply, fix_revert]
