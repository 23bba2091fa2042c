"""After a correction names a new release, the cover follows it: a `cache_cover` job is queued."""

from __future__ import annotations

import logging
import uuid

from app.jobs.actors import ActorName
from app.jobs.launch import enqueue_child

log = logging.getLogger(__name__)
ACTOR = ActorName.CACHE_COVER


async def queue_cover(album_id: uuid.UUID) -> str | None:
    """Queue the Cover Art Archive lookup for the album; the job id, or None when it could not be queued.

    Runs after the correction committed, so the job sees the new MusicBrainz id. The job respects
    the album's locks (a cover the admin set stays).
    """
    try:
        # A child of the correction's job: the cover shows up in the same job tree.
        job_id = await enqueue_child(ACTOR, str(album_id))
    except Exception:  # noqa: BLE001 - the correction is committed; a missing cover shows in the queue
        log.exception("could not queue the cover of album %s", album_id)
        return None
    return job_id
