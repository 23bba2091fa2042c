"""The needs-attention queue (/albums/broken) and bulk apply: select, preview the batch, one job."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.catalog.state import BROKEN_REASONS
from app.correction.bulk import MAX_BATCH, batch_items, preview_batch, start_batch
from app.correction.matching import current_matching
from app.correction.queue import (
    STRENGTH_FILTERS,
    QueueQuery,
    estimate,
    list_queue,
    matching_ids,
    parse_queue_query,
)
from app.jobs.queries import get_job
from app.llamalog.filters import FilterError
from app.llamalog.tables import SOURCES
from app.not_found import NotFound
from app.web.templating import render

PATH = "/albums/broken"


def _context(qq: QueueQuery | None, **extra: object) -> dict[str, object]:
    return {
        "qq": qq or QueueQuery(),
        "list_path": PATH,
        "reasons": BROKEN_REASONS,
        "strengths": STRENGTH_FILTERS,
        "sources": SOURCES,
        "max_batch": MAX_BATCH,
        **extra,
    }


@get(PATH, name="albums_broken")
async def fix_queue_page(request: Request) -> Response[str]:
    """Every broken album with its match strength in words; filters in the URL; keyset pages."""
    block = "results" if request.headers.get("hx-target") == "results" else "content"
    try:
        qq = parse_queue_query(dict(request.query_params))
    except FilterError as exc:
        return render(request, "fix_queue.html", _context(None, error=str(exc)), block=block, status_code=400)
    matching = await current_matching()
    page = await list_queue(qq, matching)
    context = _context(
        qq,
        page=page,
        count=await estimate(qq),
        matching=matching,
        next_url=qq.next_url(PATH, page.next_cursor) if page.next_cursor else None,
    )
    return render(request, "fix_queue.html", context, block=block)


def _album_ids(form: Mapping[str, object], values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise FilterError(f"album: {value!r} is not an album id") from None
    return ids


async def _selected(form: FormMultiDict) -> tuple[list[uuid.UUID], QueueQuery]:
    """The ticked albums, or with `all=1` every album the filter (in the form) holds."""
    filters = {name: form.get(name) for name in ("reason", "strength", "source", "run") if form.get(name)}
    qq = parse_queue_query(filters)
    if form.get("all"):
        return await matching_ids(qq, MAX_BATCH), qq
    return _album_ids(form, [str(v) for v in form.getall("album")] if "album" in form else []), qq


@post(f"{PATH}/bulk/preview", name="bulk_preview")
async def bulk_preview_page(request: Request) -> Response[str]:
    """Per album what bulk apply would write; the exact list when "everything matching" was asked."""
    form = await request.form()
    try:
        album_ids, qq = await _selected(form)
    except FilterError as exc:
        return render(request, "bulk_preview.html", _context(None, error=str(exc)), status_code=400)
    if not album_ids:
        return render(
            request,
            "bulk_preview.html",
            _context(qq, error="album: select at least one album"),
            status_code=400,
        )
    preview = await preview_batch(album_ids)
    return render(
        request, "bulk_preview.html", _context(qq, preview=preview, everything=bool(form.get("all")))
    )


@post(f"{PATH}/bulk/apply", name="bulk_apply")
async def bulk_apply_start(request: Request) -> Response[Any]:
    """Start the one bulk apply job for the previewed albums (`entry` = album id:version)."""
    form = await request.form()
    entries: list[tuple[uuid.UUID, int]] = []
    for raw in [str(v) for v in form.getall("entry")] if "entry" in form else []:
        album, _, version = raw.partition(":")
        try:
            entries.append((uuid.UUID(album), int(version)))
        except ValueError:
            return render(
                request,
                "bulk_preview.html",
                _context(None, error=f"entry: {raw!r} is not album:version"),
                status_code=400,
            )
    if not entries:
        return render(
            request, "bulk_preview.html", _context(None, error="entry: nothing to apply"), status_code=400
        )
    user = request.scope["user"]
    try:
        job_id = await start_batch(entries, user_id=user.id, username=user.username)
    except ValueError as exc:
        return render(request, "bulk_preview.html", _context(None, error=str(exc)), status_code=409)
    return Redirect(f"{PATH}/bulk/{job_id}", status_code=303)


@get(f"{PATH}/bulk/{{job_id:uuid}}", name="bulk_run")
async def bulk_run_page(request: Request, job_id: uuid.UUID) -> Response[str]:
    """The bulk apply run: a progress bar, then each album applied or listed as a conflict."""
    job = await get_job(job_id)
    if job is None or job.get("kind") != "bulk_apply":
        raise NotFound(f"There is no bulk apply run {job_id}.")
    items = await batch_items(job_id)
    block = "bulk_run" if request.headers.get("hx-target") == "bulk-run" else "content"
    return render(request, "bulk_run.html", {"job": job, "items": items}, block=block)


ROUTES: list[ControllerRouterHandler] = [fix_queue_page, bulk_preview_page, bulk_apply_start, bulk_run_page]
