"""Artist enrichment from MusicBrainz: fill the empty fields of an artist that has an MBID."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.catalog.tables import Artist
from app.catalog.versioned import StaleVersion, lock_artist
from app.column_fit import fit
from app.db import ColumnUpdates, transaction
from app.llamalog.logger import record
from app.not_found import NotFound
from app.sources import clients
from app.sources.http import counting_calls

ARTIST_FIELDS = ("sort_name", "country", "disambiguation")


async def enrich_artist(artist_id: uuid.UUID) -> str:
    """One ENRICHED row with what was filled, or NO_DATA_AVAILABLE / SKIPPED; returns its status."""
    artist = await Artist.select().where(Artist.id == artist_id).first()
    if artist is None:
        raise NotFound(f"There is no artist {artist_id}.")
    base: dict[str, Any] = {
        "entity_type": "ARTIST",
        "entity_id": artist_id,
        "operation": "artist:enriched:musicbrainz",
        "category": "ENRICHED",
        "sources": ["MUSICBRAINZ"],
        "entity_label": artist["name"],
    }
    if not artist["musicbrainz_id"]:
        async with transaction():
            await Artist.update({Artist.enrichment_status: "NO_DATA_AVAILABLE"}).where(Artist.id == artist_id)
            await record(**base, status="NO_DATA_AVAILABLE", reason="the artist has no MusicBrainz id")
        return "NO_DATA_AVAILABLE"
    with counting_calls() as calls:
        found = await clients.musicbrainz().artist(artist["musicbrainz_id"])
    async with transaction():
        # A second run of the same artist waits for this one, then finds the fields filled and says so.
        current = await lock_artist(artist_id)
        assert current is not None
        changes = {
            name: {"before": current[name], "after": fit(getattr(Artist, name), getattr(found, name))}
            for name in ARTIST_FIELDS
            if not current[name] and getattr(found, name)
        }
        now = dt.datetime.now(dt.UTC)
        updates: ColumnUpdates = {getattr(Artist, k): v["after"] for k, v in changes.items()}
        updates.update({Artist.enrichment_status: "COMPLETED", Artist.last_enriched_at: now})
        if changes:
            updates.update({Artist.version: current["version"] + 1, Artist.updated_at: now})
        moved = (
            await Artist.update(updates)
            .where((Artist.id == artist_id) & (Artist.version == current["version"]))
            .returning(Artist.id)
        )
        if not moved:
            raise StaleVersion("artist", artist_id, current["version"])
        status = "SUCCESS" if changes else "SKIPPED"
        await record(
            **base,
            status=status,
            fields_enriched=sorted(changes),
            changes=changes or None,
            reason=None if changes else "already up to date with MusicBrainz",
            api_call_count=calls.total,
        )
    return status
