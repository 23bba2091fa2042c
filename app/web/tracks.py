"""The album page's track editor: add, edit, delete, renumber, paste a tracklist.

Every change is one service call that writes one LlamaLog row per track; bad input re-renders the
page with the typed values and the message, and saves nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.types import ControllerRouterHandler

from app.catalog.tables import Track
from app.catalog.tracks import (
    TRACK_FIELDS,
    TrackConflict,
    add_track,
    delete_track,
    paste_tracks,
    renumber_tracks,
    update_track,
)
from app.catalog.validation import ValidationError
from app.column_limits import parse_int
from app.not_found import NotFound
from app.web.album import done, render_album
from app.web.forms import Form
from app.web.templating import _fmt_duration as duration_text  # the same m:ss the editor showed


def _typed(data: dict[str, Any]) -> dict[str, str]:
    return {name: str(data.get(name, "")) for name in TRACK_FIELDS}


async def _track_of(album_id: uuid.UUID, track_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        await Track.select(Track.id, Track.title, Track.duration_ms)
        .where((Track.id == track_id) & (Track.album == album_id))
        .first()
    )


@post("/albums/{album_id:uuid}/tracks", name="track_add")
async def track_add(request: Request, album_id: uuid.UUID, data: Form) -> Response[str]:
    typed = _typed(data)
    try:
        await add_track(album_id, typed)
    except ValidationError as exc:
        return await render_album(request, album_id, add_typed=typed, add_errors=exc.errors, status_code=422)
    return done(request, album_id, "#tracks") or await render_album(
        request, album_id, flash=f"Added “{typed['title'].strip()}”."
    )


@post("/albums/{album_id:uuid}/tracks/paste", name="tracks_paste")
async def tracks_paste(request: Request, album_id: uuid.UUID, data: Form) -> Response[str]:
    text = str(data.get("tracklist", ""))
    try:
        result = await paste_tracks(album_id, text)
    except ValidationError as exc:
        error = exc.errors.get("tracklist") or "; ".join(exc.errors.values())
        return await render_album(request, album_id, paste_text=text, paste_error=error, status_code=422)
    flash = f"Added {len(result.created)} track{'s' if len(result.created) != 1 else ''}."
    if result.failed:
        flash += f" {len(result.failed)} could not be added (see the log)."
    return done(request, album_id, "#tracks") or await render_album(request, album_id, flash=flash)


@post("/albums/{album_id:uuid}/tracks/renumber", name="tracks_renumber")
async def tracks_renumber(request: Request, album_id: uuid.UUID) -> Response[str]:
    moved = await renumber_tracks(album_id)
    flash = f"Renumbered {moved} track{'s' if moved != 1 else ''}." if moved else "Already numbered 1..n."
    return done(request, album_id, "#tracks") or await render_album(request, album_id, flash=flash)


@post("/albums/{album_id:uuid}/tracks/{track_id:uuid}", name="track_save")
async def track_save(request: Request, album_id: uuid.UUID, track_id: uuid.UUID, data: Form) -> Response[str]:
    typed = _typed(data)
    current = await _track_of(album_id, track_id)
    if current is None:
        raise NotFound(f"There is no track {track_id} on album {album_id}.")
    # The editor shows m:ss; sending back what it showed must not round the stored milliseconds.
    fields = dict(typed)
    if fields["duration_ms"].strip() == duration_text(current["duration_ms"]):
        del fields["duration_ms"]
    try:
        version = parse_int(Track.version, data.get("version", ""))
    except ValueError:
        errors = {"title": "the form lost its version: reload the page and try again"}
        return await render_album(
            request, album_id, edit_track=track_id, track_typed=typed, track_errors=errors, status_code=400
        )
    try:
        changed = await update_track(track_id, fields, expected_version=version)
    except ValidationError as exc:
        return await render_album(
            request,
            album_id,
            edit_track=track_id,
            track_typed=typed,
            track_errors=exc.errors,
            status_code=422,
        )
    except TrackConflict as exc:
        return await render_album(
            request,
            album_id,
            edit_track=track_id,
            track_typed=typed,
            track_conflict={"current": exc.current, "version": exc.current["version"]},
            status_code=409,
        )
    flash = f"Saved track “{typed['title'].strip()}”." if changed else "Nothing changed."
    return done(request, album_id, f"#track-{track_id}") or await render_album(request, album_id, flash=flash)


@post("/albums/{album_id:uuid}/tracks/{track_id:uuid}/delete", name="track_delete")
async def track_delete(request: Request, album_id: uuid.UUID, track_id: uuid.UUID) -> Response[str]:
    if await _track_of(album_id, track_id) is None:
        raise NotFound(f"There is no track {track_id} on album {album_id}.")
    deleted = await delete_track(track_id)  # NotFound if someone deleted it since the check above
    return done(request, album_id, "#tracks") or await render_album(
        request, album_id, flash=f"Deleted “{deleted['title']}”."
    )


ROUTES: list[ControllerRouterHandler] = [track_add, tracks_paste, tracks_renumber, track_save, track_delete]
