"""What a catalog job leaves behind when it gives up: its FAILED row and the entity's status."""

from __future__ import annotations

from app.catalog.tables import Album, Artist
from app.db import transaction
from app.jobs.failures import JobFailure, durable_hook, record_job_failure


def _first_arg(failure: JobFailure) -> str | None:
    return str(failure.args[0]) if failure.args else None


@durable_hook
async def enrichment_failed(failure: JobFailure) -> None:
    """enrich_album gave up: a FAILED row on the album, enrichment_status FAILED (still retryable)."""
    album_id = _first_arg(failure)
    async with transaction():
        album = (
            await Album.select(Album.id, Album.title).where(Album.id == album_id).first()
            if album_id
            else None
        )
        if album is not None:
            await Album.update({Album.enrichment_status: "FAILED"}).where(Album.id == album_id)
        await record_job_failure(
            failure,
            entity_type="ALBUM",
            entity_id=album["id"] if album is not None else None,
            operation="album:failed:enrichment",
            sources=["MUSICBRAINZ"],
            entity_label=album["title"] if album else None,
        )


@durable_hook
async def artist_enrichment_failed(failure: JobFailure) -> None:
    artist_id = _first_arg(failure)
    async with transaction():
        artist = (
            await Artist.select(Artist.id, Artist.name).where(Artist.id == artist_id).first()
            if artist_id
            else None
        )
        if artist is not None:
            await Artist.update({Artist.enrichment_status: "FAILED"}).where(Artist.id == artist_id)
        await record_job_failure(
            failure,
            entity_type="ARTIST",
            entity_id=artist["id"] if artist is not None else None,
            operation="artist:failed:enrichment",
            sources=["MUSICBRAINZ"],
            entity_label=artist["name"] if artist else None,
        )


@durable_hook
async def cover_failed(failure: JobFailure) -> None:
    album_id = _first_arg(failure)
    album = (
        await Album.select(Album.id, Album.title).where(Album.id == album_id).first() if album_id else None
    )
    await record_job_failure(
        failure,
        entity_type="ALBUM",
        entity_id=album["id"] if album is not None else None,
        operation="album:failed:cover-art",
        sources=["COVERARTARCHIVE"],
        entity_label=album["title"] if album else None,
    )


def sync_failed(source: str, path: str):  # type: ignore[no-untyped-def]
    """A failure hook for a whole sync run (no album yet: the row names the run)."""

    async def hook(failure: JobFailure) -> None:
        await record_job_failure(
            failure,
            entity_type="ALBUM",
            entity_id=None,
            operation=f"album:failed:{path}",
            sources=[source],
            entity_label=f"{source.title()} new releases",
        )

    return durable_hook(hook)


spotify_sync_failed = sync_failed("SPOTIFY", "spotify-sync")
musicbrainz_sync_failed = sync_failed("MUSICBRAINZ", "musicbrainz-sync")
