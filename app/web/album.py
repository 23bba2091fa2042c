"""The album page: click-to-edit fields with version conflicts, unlock, enrich now.

One URL and one template: an HTMX request gets the block its target names (a field's editor, the
track list, the enrichment panel) or the whole page content; forms also work without JavaScript.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TypedDict, Unpack

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.catalog.album_edits import save_album_field
from app.catalog.albums import VersionConflict, unlock_field
from app.catalog.detail import album_detail
from app.catalog.job_actions import JobActionError, enrich_available, job_status, start_enrichment
from app.catalog.rows import AlbumTrack, TrackRow, field_value
from app.catalog.state import BROKEN_REASONS
from app.catalog.tables import Album
from app.catalog.validation import RELEASE_TYPES, ValidationError
from app.column_limits import parse_int
from app.jobs.tables import FINISHED_STATUSES
from app.not_found import NotFound
from app.web.album_fields import FIELD_LABELS, FieldConflict, field_views
from app.web.forms import Form
from app.web.templating import is_htmx, render


class AlbumPageState(TypedDict, total=False):
    """The album page in the state of an edit: which editor is open, what was typed, what went wrong."""

    edit: str | None
    focus: str | None
    job: str | None
    flash: str
    typed: Mapping[str, object]
    errors: Mapping[str, str]
    conflict: FieldConflict
    enrich_error: str
    edit_track: uuid.UUID | None
    add_typed: Mapping[str, str]
    add_errors: Mapping[str, str]
    paste_text: str
    paste_error: str
    track_typed: Mapping[str, str]
    track_errors: Mapping[str, str]
    track_conflict: TrackConflictView


class TrackConflictView(TypedDict):
    current: TrackRow
    version: int


def album_block(request: Request) -> str:
    """The named block an HTMX request wants, from the id of the element it will swap."""
    target = request.headers.get("hx-target") or ""
    if target.startswith("field-"):
        return "fields"
    if target.startswith("track-"):
        return "tracks"
    if target == "enrich":
        return "enrich"
    return "content"


def next_track_number(tracks: list[AlbumTrack]) -> int:
    return max((t["track_number"] for t in tracks if t["disc_number"] == 1), default=0) + 1


def needs_renumber(tracks: list[AlbumTrack]) -> bool:
    """True when some disc is not numbered 1..n (tracks come in disc, number order)."""
    expected: dict[int, int] = {}
    for track in tracks:
        expected[track["disc_number"]] = expected.get(track["disc_number"], 0) + 1
        if track["track_number"] != expected[track["disc_number"]]:
            return True
    return False


async def render_album(
    request: Request, album_id: uuid.UUID, *, status_code: int = 200, **state: Unpack[AlbumPageState]
) -> Response[str]:
    """The album page in the state of an edit: `edit`, `typed`, `errors`, `conflict`, `flash`, …"""
    album = await album_detail(album_id)
    if album is None:
        raise NotFound(f"There is no album {album_id}.")
    job_id = state.pop("job", None) if state.get("job") else None
    job = await job_status(job_id) if job_id else None
    context = {
        "album": album,
        "album_url": f"/albums/{album_id}",
        "fields": field_views(
            album,
            edit=state.get("edit"),
            typed=state.get("typed"),
            errors=state.get("errors"),
            conflict=state.get("conflict"),
            focus=state.get("focus"),
        ),
        "reason_labels": BROKEN_REASONS,
        "release_types": RELEASE_TYPES,
        "enrich_available": enrich_available(),
        "enrich_job": job,
        "finished": FINISHED_STATUSES,
        "next_track_number": next_track_number(album["tracks"]),
        "needs_renumber": needs_renumber(album["tracks"]),
        "timeline_entity_type": "ALBUM",
        "timeline_entity_id": str(album_id),
        **state,
    }
    headers = {}
    if job and job["status"] in FINISHED_STATUSES and request.headers.get("hx-target") == "enrich":
        headers["HX-Trigger"] = "album-changed"  # the poll saw the run end: refresh the whole page
    return render(
        request, "album.html", context, block=album_block(request), status_code=status_code, headers=headers
    )


def done(request: Request, album_id: uuid.UUID, anchor: str = "") -> Response[str] | None:
    """After a successful POST: plain forms get a redirect (post/redirect/get); HTMX gets the page."""
    if is_htmx(request):
        return None
    return Redirect(f"/albums/{album_id}{anchor}", status_code=303)


@get("/albums/{album_id:uuid}", name="album")
async def album_page(
    request: Request,
    album_id: uuid.UUID,
    edit: str | None = None,
    focus: str | None = None,
    job: str | None = None,
    edit_track: str | None = None,
) -> Response[str]:
    """The album; `?edit=<field>` / `?edit_track=<id>` open an editor, `?job=<id>` follows a run."""
    if edit is not None and edit not in FIELD_LABELS:
        edit = None  # a stale or hand-made link: show the page, not an error
    try:
        track = uuid.UUID(edit_track) if edit_track else None
    except ValueError:
        track = None
    return await render_album(request, album_id, edit=edit, focus=focus, job=job, edit_track=track)


def _version(data: Mapping[str, object]) -> int | None:
    try:
        return parse_int(Album.version, data.get("version", ""))
    except ValueError:
        return None


@post("/albums/{album_id:uuid}/fields", name="album_field_save")
async def album_field_save(request: Request, album_id: uuid.UUID, data: Form) -> Response[str]:
    """Save one field with the version the editor was opened at; errors and conflicts save nothing."""
    name = str(data.get("field", ""))
    value = data.get("value", "")
    version = _version(data)
    if name not in FIELD_LABELS:
        message = f"field: {name!r} is not a field you can edit here"
        return render(request, "error.html", {"status": 400, "message": message}, status_code=400)
    if version is None:
        return await render_album(
            request,
            album_id,
            typed={name: value},
            errors={name: "the form lost its version: reload the page and try again"},
            status_code=400,
        )
    try:
        result = await save_album_field(album_id, name, value, expected_version=version)
    except ValidationError as exc:
        errors = {name: exc.errors.get(name) or "; ".join(exc.errors.values())}
        return await render_album(request, album_id, typed={name: value}, errors=errors, status_code=422)
    except VersionConflict as exc:
        conflict: FieldConflict = {
            "field": name,
            "yours": value,
            "current": field_value(exc.current, name),
            "version": exc.current["version"],
            "stale_version": version,
        }
        return await render_album(request, album_id, typed={name: value}, conflict=conflict, status_code=409)
    flash = f"Saved {FIELD_LABELS[name].lower()}." if result.changed else "Nothing changed."
    return done(request, album_id, f"#field-{name}") or await render_album(
        request, album_id, flash=flash, focus=name
    )


@post("/albums/{album_id:uuid}/unlock", name="album_unlock")
async def album_unlock(request: Request, album_id: uuid.UUID, data: Form) -> Response[str]:
    """Let enrichment write a field again (on the record as `album:unlocked:admin`)."""
    name = str(data.get("field", ""))
    if name not in FIELD_LABELS:
        message = f"field: {name!r} is not an album field"
        return render(request, "error.html", {"status": 400, "message": message}, status_code=400)
    changed = await unlock_field(album_id, name)
    flash = f"Unlocked {FIELD_LABELS[name].lower()}." if changed else "That field was not locked."
    return done(request, album_id, f"#field-{name}") or await render_album(
        request, album_id, flash=flash, focus=name
    )


@post("/albums/{album_id:uuid}/enrich", name="album_enrich")
async def album_enrich(request: Request, album_id: uuid.UUID) -> Response[str]:
    """Queue the enrichment job now; the page then follows its Job row."""
    if await album_detail(album_id) is None:
        raise NotFound(f"There is no album {album_id}.")
    try:
        job_id = await start_enrichment(album_id, request.scope["user"])
    except (JobActionError, LookupError, ValueError) as exc:
        return await render_album(request, album_id, enrich_error=str(exc), status_code=409)
    if is_htmx(request):
        return await render_album(request, album_id, job=job_id, flash="Enrichment queued.")
    return Redirect(f"/albums/{album_id}?job={job_id}#enrich", status_code=303)


ROUTES: list[ControllerRouterHandler] = [album_page, album_field_save, album_unlock, album_enrich]
