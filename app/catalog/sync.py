"""New-release syncs: import albums from Spotify or MusicBrainz, then queue their enrichment.

Idempotent: an album already on file (same Spotify or MusicBrainz id) is skipped, so a second run
creates nothing. Each album is its own unit of work: one failing upstream or refused at the edge
(a hostile title, an id that is not one) is a FAILED row and a count; the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from piccolo.columns import Column

from app.catalog.albums import create_album
from app.catalog.from_upstream import album_from_musicbrainz, album_from_spotify, musicbrainz_id, spotify_id
from app.catalog.records import AlbumInput
from app.catalog.tables import Album
from app.db import transaction
from app.jobs.actors import ActorName
from app.jobs.launch import enqueue_child
from app.jobs.progress import job_count, job_progress
from app.jobs.summary import job_summary
from app.llamalog.logger import record
from app.sources import clients
from app.sources.errors import SourceError
from app.sources.http import counting_calls
from app.sources.parsing import clean
from app.sources.records import MbRelease, SpotifyAlbum

log = logging.getLogger(__name__)
MAX_ALBUMS = 200
MUSICBRAINZ_WINDOW_DAYS = 7


@dataclass
class SyncResult:
    seen: int = 0
    created: list[uuid.UUID] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0


async def _exists(column: Column, value: str | None) -> bool:
    return bool(value) and await Album.exists().where(column == value)


async def _import(
    album: AlbumInput,
    *,
    path: str,
    source: str,
    result: SyncResult,
    api_calls: int,
    extra: Mapping[str, object],
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
    await enqueue_child(ActorName.ENRICH_ALBUM, str(created.id))


async def _record_failure(
    title: str, error: Exception, *, path: str, source: str, extra: Mapping[str, object]
) -> None:
    code = error.error_code if isinstance(error, SourceError) else "IMPORT_FAILED"
    message = str(error) if isinstance(error, SourceError) else f"{type(error).__name__}: {error}"
    async with transaction():
        await record(
            entity_type="ALBUM",
            entity_id=None,
            operation=f"album:failed:{path}",
            category="FAILED",
            status="FAILED",
            sources=[source],
            entity_label=title or None,
            error_code=code,
            error_message=message[:2000],
            retry_count=max(0, error.attempts - 1) if isinstance(error, SourceError) else 0,
            metadata=extra,
        )
    await job_count(failures=1)


def _shown_id(value: str) -> str:
    """An upstream id as the log shows it: a hostile one (NUL, 100 characters) made harmless."""
    text = clean(value)
    return text if len(text) <= 64 else text[:63] + "…"


async def _unit(
    title: str,
    *,
    path: str,
    source: str,
    result: SyncResult,
    extra: Mapping[str, object],
    work: Callable[[], Awaitable[None]],
) -> None:
    """One album, its own unit of work: whatever refuses it is one FAILED row, and the run goes on.

    A failure while writing that row (the database is gone) still ends the run."""
    try:
        await work()
    except Exception as error:  # noqa: BLE001 - one album never sinks the others
        if not isinstance(error, SourceError):
            log.exception("%s: album %s could not be imported", path, extra)
        result.failed += 1
        await _record_failure(title, error, path=path, source=source, extra=extra)


async def sync_spotify(max_albums: int = MAX_ALBUMS, country: str | None = None) -> SyncResult:
    """Import Spotify's new releases (each album with its tracks) that are not on file yet."""
    spotify = clients.spotify()
    listing = await spotify.all_new_releases(country=country, max_albums=max_albums)
    result = SyncResult(seen=len(listing))
    window = {"listing": "Spotify's new releases", "country": country, "max": max_albums}
    await job_summary(window=window, seen=result.seen)
    await job_progress(0, len(listing))
    for done, summary in enumerate(listing, start=1):

        async def work(summary: SpotifyAlbum = summary) -> None:
            album_id = spotify_id(summary.id, "album id")
            if await _exists(Album.spotify_id, album_id):
                result.skipped += 1
                await job_count(albums_skipped=1)
                return
            with counting_calls() as calls:
                full = await spotify.album(summary.id)
            await _import(
                album_from_spotify(full),
                path="spotify-sync",
                source="SPOTIFY",
                result=result,
                api_calls=calls.total,
                extra={"spotify_id": album_id},
            )

        extra = {"spotify_id": _shown_id(summary.id)}
        label = summary.title or f"Spotify album {extra['spotify_id']}"
        await _unit(label, path="spotify-sync", source="SPOTIFY", result=result, extra=extra, work=work)
        await job_progress(done, len(listing))
    await job_summary(window=window, seen=result.seen, failed=result.failed)
    return result


async def sync_musicbrainz(days: int = MUSICBRAINZ_WINDOW_DAYS, max_albums: int = MAX_ALBUMS) -> SyncResult:
    """Import MusicBrainz releases dated in the last `days` days; enrichment brings their tracks."""
    until = dt.date.today()
    since = until - dt.timedelta(days=days)
    page = await clients.musicbrainz().new_releases(since, until, limit=min(100, max_albums))
    releases = page.releases[:max_albums]
    result = SyncResult(seen=len(releases))
    window = {"since": since.isoformat(), "until": until.isoformat()}
    await job_summary(window=window, seen=result.seen)
    await job_progress(0, len(releases))
    for done, release in enumerate(releases, start=1):

        async def work(release: MbRelease = release) -> None:
            if await _exists(Album.musicbrainz_id, musicbrainz_id(release.id, "release id")):
                result.skipped += 1
                await job_count(albums_skipped=1)
                return
            album = album_from_musicbrainz(release)
            await _import(
                album,
                path="musicbrainz-sync",
                source="MUSICBRAINZ",
                result=result,
                api_calls=0,
                extra={"musicbrainz_id": album.musicbrainz_id, "search_score": release.score},
            )

        extra = {"musicbrainz_id": _shown_id(release.id), "search_score": release.score}
        label = release.title or f"MusicBrainz release {extra['musicbrainz_id']}"
        await _unit(
            label,
            path="musicbrainz-sync",
            source="MUSICBRAINZ",
            result=result,
            extra=extra,
            work=work,
        )
        await job_progress(done, len(releases))
    await job_summary(window=window, seen=result.seen, failed=result.failed)
    return result
