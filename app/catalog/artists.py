"""Find-or-create artists, safe when jobs race for the same one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.catalog.names import fold
from app.catalog.records import ArtistInput
from app.catalog.tables import Artist
from app.column_fit import fit, fit_key
from app.db import transaction
from app.llamalog.logger import record


@dataclass(frozen=True)
class LinkedArtist:
    id: uuid.UUID
    name: str
    created: bool


def dedup_key(artist: ArtistInput) -> str:
    if artist.musicbrainz_id:
        return f"mb:{artist.musicbrainz_id.lower()}"
    if artist.spotify_id:
        return f"sp:{artist.spotify_id}"
    return fit_key(Artist.dedup_key, f"name:{fold(artist.name)}")


def name_key(name: str) -> str:
    """The folded name the artist is found by, cut to its column (names themselves are Text)."""
    return fit_key(Artist.name_key, fold(name))


async def _find(artist: ArtistInput) -> dict[str, Any] | None:
    if artist.musicbrainz_id:
        row = (
            await Artist.select(Artist.id, Artist.name)
            .where(Artist.musicbrainz_id == artist.musicbrainz_id.lower())
            .first()
        )
        if row:
            return row
    if artist.spotify_id:
        row = (
            await Artist.select(Artist.id, Artist.name).where(Artist.spotify_id == artist.spotify_id).first()
        )
        if row:
            return row
    # The same name is the same artist unless both sides carry different IDs.
    candidates = (
        await Artist.select(Artist.id, Artist.name, Artist.musicbrainz_id, Artist.spotify_id)
        .where(Artist.name_key == name_key(artist.name))
        .order_by(Artist.created_at)
        .limit(10)
    )
    for row in candidates:
        mb_clash = artist.musicbrainz_id and row["musicbrainz_id"]
        sp_clash = artist.spotify_id and row["spotify_id"]
        if not mb_clash and not sp_clash:
            return row
    return None


async def find_or_create_artist(
    artist: ArtistInput,
    *,
    operation_path: str,
    sources: list[str],
    album_id: Any = None,
    track_id: Any = None,
    log_link: bool = True,
) -> LinkedArtist:
    """The artist for `artist`: LINKED row when it existed, CREATED row when new (child rows).

    `log_link=False` skips the LINKED row (a track credit of an artist already on the album: the
    track's own CREATED row names it); a newly created artist always gets its row."""
    if not artist.name.strip():
        raise ValueError("an artist needs a name")
    async with transaction():
        found = await _find(artist)
        created = False
        if found is None:
            key = dedup_key(artist)
            inserted = (
                await Artist.insert(
                    Artist(
                        name=fit(Artist.name, artist.name.strip()),
                        sort_name=fit(Artist.sort_name, artist.sort_name),
                        dedup_key=key,
                        name_key=name_key(artist.name),
                        musicbrainz_id=artist.musicbrainz_id.lower() if artist.musicbrainz_id else None,
                        spotify_id=artist.spotify_id,
                        discogs_id=artist.discogs_id,
                        country=artist.country,
                    )
                )
                .on_conflict(action="DO NOTHING", target=Artist.dedup_key)
                .returning(Artist.id, Artist.name)
            )
            if inserted:
                found, created = inserted[0], True
            else:  # another job inserted it first
                found = await Artist.select(Artist.id, Artist.name).where(Artist.dedup_key == key).first()
        assert found is not None
        if not created and not log_link:
            return LinkedArtist(id=found["id"], name=found["name"], created=False)
        verb = "created" if created else "linked"
        await record(
            entity_type="ARTIST",
            entity_id=found["id"],
            operation=f"artist:{verb}:{operation_path}",
            category="CREATED" if created else "LINKED",
            child=True,
            album_id=album_id,
            track_id=track_id,
            sources=sources,
            entity_label=found["name"],
            metadata={"musicbrainz_id": artist.musicbrainz_id, "spotify_id": artist.spotify_id}
            if (artist.musicbrainz_id or artist.spotify_id)
            else None,
        )
        return LinkedArtist(id=found["id"], name=found["name"], created=created)
