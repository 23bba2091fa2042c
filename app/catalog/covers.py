"""Cover caching: the Cover Art Archive's front image becomes the album's cover (a CACHED row)."""

from __future__ import annotations

import time
import uuid
from typing import Any, cast

from app.catalog.locks import locked_fields
from app.catalog.rows import AlbumRow
from app.catalog.state import refresh_album_state
from app.catalog.tables import Album
from app.catalog.versioned import lock_album, set_album
from app.column_fit import fits
from app.db import transaction
from app.llamalog.logger import record
from app.not_found import NotFound
from app.sources import clients, outbound
from app.sources.errors import UnsafeUrl
from app.sources.http import counting_calls


async def cache_cover(album_id: uuid.UUID) -> str:
    """Look up the front cover of the album's release (then its release group); returns the row status."""
    started = time.monotonic()
    album = cast(AlbumRow | None, await Album.select().where(Album.id == album_id).first())
    if album is None:
        raise NotFound(f"There is no album {album_id}.")
    base: dict[str, Any] = {
        "entity_type": "ALBUM",
        "entity_id": album_id,
        "operation": "album:cached:cover-art",
    }
    base.update(category="CACHED", sources=["COVERARTARCHIVE"], entity_label=album["title"])
    if not album["musicbrainz_id"]:
        return await _write(base, "SKIPPED", reason="the album has no MusicBrainz id to look up")
    if "cover_art_url" in locked_fields(album):
        return await _write(base, "SKIPPED", reason="cover_art_url is locked by an admin")
    caa = clients.coverart()
    with counting_calls() as calls:
        try:
            image = await caa.front(album["musicbrainz_id"])
        except UnsafeUrl as error:  # a redirect off the allow-list: nothing was fetched
            return await _refused(base, str(error), calls.total)
    if image is None:
        return await _write(
            base,
            "NO_DATA_AVAILABLE",
            reason="the Cover Art Archive has no front image for this release",
            api_call_count=calls.total,
        )
    url = image.thumbnail_500 or image.url
    if (why := outbound.refusal(url, caa.settings)) is not None or not fits(Album.cover_art_url, url):
        return await _refused(base, f"cover URL {url[:200]!r} refused: {why or 'too long'}", calls.total)
    elapsed = int((time.monotonic() - started) * 1000)
    async with transaction():
        # Read again under the album's lock: an admin may have set and locked the cover meanwhile.
        current = await lock_album(album_id)
        if current is None:
            raise NotFound(f"There is no album {album_id}.")
        if "cover_art_url" in locked_fields(current):
            await record(
                **base,
                status="SKIPPED",
                reason="cover_art_url is locked by an admin",
                api_call_count=calls.total,
                duration_ms=elapsed,
            )
            return "SKIPPED"
        changes = None
        if current["cover_art_url"] != url:
            changes = {"cover_art_url": {"before": current["cover_art_url"], "after": url}}
            await set_album(current, {Album.cover_art_url: url})
        before, after = await refresh_album_state(album_id)
        await record(
            **base,
            status="SUCCESS" if changes else "SKIPPED",
            reason=None if changes else "the cover is already this image",
            fields_enriched=sorted(changes or {}),
            changes=changes,
            data_quality_before=before,
            data_quality_after=after,
            api_call_count=calls.total,
            duration_ms=elapsed,
            metadata={"image_id": image.id, "types": list(image.types), "image_url": image.url},
        )
    return "SUCCESS" if changes else "SKIPPED"


async def _refused(base: dict[str, Any], message: str, api_calls: int) -> str:
    """A cover that fails the outbound check: a FAILED row, and the album keeps the cover it had."""
    base = {**base, "operation": "album:failed:cover-art", "category": "FAILED"}
    return await _write(
        base, "FAILED", error_code=UnsafeUrl.error_code, error_message=message, api_call_count=api_calls
    )


async def _write(base: dict[str, Any], status: str, **fields: Any) -> str:
    async with transaction():
        await record(**base, status=status, **fields)
    return status
