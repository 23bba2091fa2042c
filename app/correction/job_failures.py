"""What the correction jobs leave behind when they give up: their FAILED row."""

from __future__ import annotations

import datetime as dt
import uuid

from app.catalog.tables import Album
from app.correction.tables import FixCandidate, FixMatch, MatchStrength
from app.db import transaction
from app.jobs.failures import JobFailure, durable_hook, record_job_failure


def _album_id(failure: JobFailure) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(failure.args[0])) if failure.args else None
    except ValueError:  # not an album id: the FAILED row is written without an entity
        return None


@durable_hook
async def prefetch_failed(failure: JobFailure) -> None:
    """prefetch_candidates gave up: the album's FAILED row, and "no candidate yet" in the queue."""
    album_id = _album_id(failure)
    async with transaction():
        album = (
            await Album.select(Album.title, Album.version).where(Album.id == album_id).first()
            if album_id
            else None
        )
        if album is not None:
            await FixCandidate.delete().where(FixCandidate.album_id == album_id)
            await FixMatch.delete().where(FixMatch.album_id == album_id)
            now = dt.datetime.now(dt.UTC)
            await FixMatch.insert(
                FixMatch(
                    album_id=album_id,
                    strength=MatchStrength.failed,
                    album_version=album["version"],
                    error_code=failure.error_code,
                    error_message=failure.error_message,
                    searched_at=now,
                    scored_at=now,
                )
            )
        await record_job_failure(
            failure,
            entity_type="ALBUM",
            entity_id=album_id if album is not None else None,
            operation="album:failed:prefetch",
            sources=["MUSICBRAINZ"],
            entity_label=album["title"] if album else None,
        )


@durable_hook
async def bulk_apply_failed(failure: JobFailure) -> None:
    """The bulk apply job itself gave up (each album already wrote its own rows)."""
    await record_job_failure(
        failure, entity_type="ALBUM", entity_id=None, operation="album:failed:bulk-apply"
    )


@durable_hook
async def revert_run_failed(failure: JobFailure) -> None:
    """The revert of a run gave up (each album already committed or rolled back on its own)."""
    await record_job_failure(
        failure, entity_type="ALBUM", entity_id=None, operation="album:failed:revert-run"
    )
