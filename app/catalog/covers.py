"""Cover caching: the Cover Art Archive's front image becomes the album's cover (a CACHED row)."""

from __future__ import annotations

import time
from typing import Any

from app.catalog.state import refresh_album_state
from app.catalog.tables import Album
from app.catalog.versioned import lock_album, set_album
from app.correction.locks import locked_fields
from app.db import transaction
from app.llamalog.logger import record
from app.sources import clients
from app.sources.http import counting_calls


async def cache_cover(album_id: Any) -> str:
    """Look up the front cover of the album's release (then its release group); returns the row status."""
    started = time.monotonic()
    album = await Album.select().where(Album.id == album_id).first()
    if album is None:
        raise LookupError(f"album {album_id} not found")
    base = {"entity_type": "ALBUM", "entity_id": album_id, "operation": "album:cached:cover-art"}
    base.update(category="CACHED", sources=["COVERARTARCHIVE"], entity_label=album["title"])
    if not album["musicbrainz_id"]:
        return await _write(base, "SKIPPED", reason="the album has no MusicBrainz id to look up")
    if "cover_art_url" in locked_fields(album):
        return await _write(base, "SKIPPED", reason="cover_art_url is locked by an admin")
    caa = clients.coverart()
    with counting_calls() as calls:
        image = await caa.front(album["musicbrainz_id"])
    if image is None:
        return await _write(
            base,
            "NO_DATA_AVAILABLE",
            reason="the Cover Art Archive has no front image for this release",
            api_call_count=calls.total,
        )
    url = image.thumbnail_500 or image.url
    elapsed = int((time.monotonic() - started) * 1000)
    async with transaction():
        # Read again under the album's lock: an admin may have set and locked the cover meanwhile.
        current = await lock_album(album_id)
        if current is None:
            raise LookupError(f"album {album_id} not found")
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


async def _write(base: dict[str, Any], status: str, **fields: Any) -> str:
    async with transaction():
        await record(**base, status=status, **fields)
    return status
