"""Add a release found by a search: album, artists and tracks in one transaction, never twice.

The CREATED root row carries the user (the request runs as a user job); artists (CREATED or LINKED)
and tracks are its child rows. Enrichment and cover caching follow as child jobs of that user job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.catalog.albums import CreatedAlbum, create_album
from app.catalog.records import AlbumInput
from app.catalog.tables import Album
from app.db import engine, transaction
from app.jobs.actors import ActorName
from app.jobs.launch import enqueue_child

OPERATION_PATH = "search"


@dataclass(frozen=True)
class AddedRelease:
    album_id: uuid.UUID
    created: CreatedAlbum | None  # None: the catalog already had it (nothing written)
    jobs: tuple[str, ...] = ()


def _ids(album: AlbumInput) -> list[tuple[str, str]]:
    named = (
        ("musicbrainz", album.musicbrainz_id),
        ("spotify", album.spotify_id),
        ("discogs", album.discogs_id),
    )
    return [(name, value) for name, value in named if value]


async def _lock(ids: list[tuple[str, str]]) -> None:
    """Postgres: hold the release's identity locks to the end of the transaction, so a double submit
    waits and then finds the album. SQLite's IMMEDIATE write transaction already excludes it."""
    if engine().engine_type != "postgres":
        return
    for name, value in sorted(ids):
        await Album.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", f"album:{name}:{value}")


async def album_with_ids(album: AlbumInput) -> uuid.UUID | None:
    """The catalog's album carrying any of this release's upstream ids."""
    columns = {"musicbrainz": Album.musicbrainz_id, "spotify": Album.spotify_id, "discogs": Album.discogs_id}
    for name, value in _ids(album):
        row = await Album.select(Album.id).where(columns[name] == value).first()
        if row:
            return uuid.UUID(str(row["id"]))
    return None


async def add_release(album: AlbumInput, *, source: str, api_call_count: int = 0) -> AddedRelease:
    """Create the album unless the catalog has it (checked inside the write transaction), then queue
    its enrichment and cover as children of the running job."""
    if not _ids(album):
        raise ValueError("a release from a search carries its upstream id")
    async with transaction():
        await _lock(_ids(album))
        existing = await album_with_ids(album)
        if existing is not None:
            return AddedRelease(album_id=existing, created=None)
        created = await create_album(
            album,
            operation_path=OPERATION_PATH,
            sources=[source],
            source=source,
            extra={"added_from": "search", "key": ":".join(_ids(album)[0])},
            api_call_count=api_call_count,
        )
        await Album.update({Album.enrichment_status: "QUEUED"}).where(Album.id == created.id)
    # After the commit: the jobs must see the album.
    jobs = (
        await enqueue_child(ActorName.ENRICH_ALBUM, str(created.id)),
        await enqueue_child(ActorName.CACHE_COVER, str(created.id)),
    )
    return AddedRelease(album_id=created.id, created=created, jobs=jobs)
