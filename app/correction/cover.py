"""After a correction names a new release, the cover follows it: a `cache_cover` job is queued."""

from __future__ import annotations

import logging
from typing import Any

from app.llamalog.context import get_current_job

log = logging.getLogger(__name__)
ACTOR = "cache_cover"


async def queue_cover(album_id: Any) -> str | None:
    """Queue the Cover Art Archive lookup for the album; the job id, or None when there is no such actor.

    Runs after the correction committed, so the job sees the new MusicBrainz id. The job respects
    the album's locks (a cover the admin set stays).
    """
    from app.jobs.launch import actor_exists, enqueue

    if not actor_exists(ACTOR):
        log.info("no %s actor is declared: the cover of album %s is left as it is", ACTOR, album_id)
        return None
    ctx = get_current_job()
    try:
        return await enqueue(
            ACTOR,
            [str(album_id)],
            triggered_by="user",
            user_id=ctx.user_id if ctx else None,
            username=ctx.username if ctx else None,
        )
    except Exception:  # noqa: BLE001 - the correction is committed; a missing cover shows in the queue
        log.exception("could not queue the cover of album %s", album_id)
        return None
