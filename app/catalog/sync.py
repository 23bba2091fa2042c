"""New-release syncs: import albums from Spotify or MusicBrainz, then queue their enrichment.

Idempotent: an album already on file (same Spotify or MusicBrainz id) is skipped, so a second run
creates nothing. One album failing upstream is a FAILED row and a count; the others go on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.catalog.albums import create_album
from app.catalog.records import AlbumInput
from app.catalog.tables import Album
from app.db import transaction
from app.jobs.launch import enqueue_child
from app.jobs.progress import job_count, job_progress
from app.llamalog.logger import record
from app.sources import clients
from app.sources.errors import SourceError
from app.sources.http import counting_calls
from app.sources.to_catalog import album_from_musicbrainz, album_from_spotify

MAX_ALBUMS = 200
MUSICBRAINZ_WINDOW_DAYS = 7


@dataclass
class SyncResult:
    seen: int = 0
    created: list[uuid.UUID] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0


async def _exists(column: Any, value: str | None) -> bool:
    return bool(value) and await Album.exists().where(column == value)


async def _import(
    album: AlbumInput, *, path: str, source: str, result: SyncResult, api_calls: int, extra: dict[str, Any]
) -> None:
    created = await create_album(
        album, operation_path=path, sources=[source], source=source, extra=extra, api_call_count=api_calls
    )
    result.created.append(created.id)
    await job_count(
        albums_created=1,
        artists_created=created.artists_created,
        artists_linked=created.artists_linked,
        tracks_created=created.tracks_created,
        failures=created.tracks_failed,
    )
    await Album.update({Album.enrichment_status: "QUEUED"}).where(Album.id == created.id)
    await enqueue_child("enrich_album", str(created.id))


async def _record_failure(
    title: str, error: SourceError, *, path: str, source: str, extra: dict[str, Any]
) -> None:
    async with transaction():
        await record(
            entity_type="ALBUM",
            entity_id=None,
            operation=f"album:failed:{path}",
            category="FAILED",
            status="FAILED",
            sources=[source],
            entity_label=title,
            error_code=error.error_code,
            error_message=str(error)[:2000],
            retry_count=max(0, error.attempts - 1),
            metadata=extra,
        )
    await job_count(failures=1)


async def sync_spotify(max_albums: int = MAX_ALBUMS, country: str | None = None) -> SyncResult:
    """Import Spotify's new releases (each album with its tracks) that are not on file yet."""
    spotify = clients.spotify()
    listing = await spotify.all_new_releases(country=country, max_albums=max_albums)
    result = SyncResult(seen=len(listing))
    await job_progress(0, len(listing))
    for done, summary in enumerate(listing, start=1):
        extra = {"spotify_id": summary.id}
        if await _exists(Album.spotify_id, summary.id):
            result.skipped += 1
            await job_count(albums_skipped=1)
        else:
            try:
                with counting_calls() as calls:
                    full = await spotify.album(summary.id)
                await _import(
                    album_from_spotify(full),
                    path="spotify-sync",
                    source="SPOTIFY",
                    result=result,
                    api_calls=calls.total,
                    extra=extra,
                )
            except SourceError as error:
                result.failed += 1
                await _record_failure(
                    summary.title, error, path="spotify-sync", source="SPOTIFY", extra=extra
                )
        await job_progress(done, len(listing))
    return result


async def sync_musicbrainz(days: int = MUSICBRAINZ_WINDOW_DAYS, max_albums: int = MAX_ALBUMS) -> SyncResult:
    """Import MusicBrainz releases dated in the last `days` days; enrichment brings their tracks."""
    until = dt.date.today()
    since = until - dt.timedelta(days=days)
    page = await clients.musicbrainz().new_releases(since, until, limit=min(100, max_albums))
    releases = page.releases[:max_albums]
    result = SyncResult(seen=len(releases))
    await job_progress(0, len(releases))
    for done, release in enumerate(releases, start=1):
        if await _exists(Album.musicbrainz_id, release.id):
            result.skipped += 1
            await job_count(albums_skipped=1)
        else:
            await _import(
                album_from_musicbrainz(release),
                path="musicbrainz-sync",
                source="MUSICBRAINZ",
                result=result,
                api_calls=0,
                extra={"musicbrainz_id": release.id, "search_score": release.score},
            )
        await job_progress(done, len(releases))
    return result
