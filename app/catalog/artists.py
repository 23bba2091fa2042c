"""Find-or-create artists, safe when jobs race for the same one.

Two jobs on separate connections can reach one artist at once (two albums by the same MusicBrainz
artist enriched together). Each read-then-write of an artist first takes the artist's identity
locks (MBID, Spotify id, name key) for the rest of the caller's transaction, so the second writer
reads what the first one committed: one CREATED row, the other LINKED, never a unique violation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.catalog.names import fold
from app.catalog.records import ArtistInput
from app.catalog.tables import Artist
from app.column_fit import fit, fit_key
from app.db import engine, transaction
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


def identity_keys(artist: ArtistInput) -> set[str]:
    """What makes two writers write the same artist row: its ids and the name it is found by."""
    keys = {f"name:{name_key(artist.name)}"}
    if artist.musicbrainz_id:
        keys.add(f"mb:{artist.musicbrainz_id.lower()}")
    if artist.spotify_id:
        keys.add(f"sp:{artist.spotify_id}")
    return keys


async def lock_artists(artists: Iterable[ArtistInput]) -> None:
    """Hold the artists' identity locks until the caller's transaction ends.

    Postgres: transaction-scoped advisory locks, taken in sorted order (a writer locking all the
    artists of a release up front never waits on another in the opposite order); re-taking one
    already held is free. SQLite's IMMEDIATE write transaction already excludes every other writer.
    """
    db = engine()
    if db.engine_type != "postgres":
        return
    if db.current_transaction.get() is None:  # a lock outside a transaction ends with its statement
        raise RuntimeError("lock_artists() must run inside the writer's transaction")
    for key in sorted({key for artist in artists for key in identity_keys(artist)}):
        await Artist.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", f"artist:{key}")


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
    album_id: uuid.UUID | None = None,
    track_id: uuid.UUID | None = None,
    log_link: bool = True,
) -> LinkedArtist:
    """The artist for `artist`: LINKED row when it existed, CREATED row when new (child rows).

    `log_link=False` skips the LINKED row (a track credit of an artist already on the album: the
    track's own CREATED row names it); a newly created artist always gets its row."""
    if not artist.name.strip():
        raise ValueError("an artist needs a name")
    async with transaction():
        await lock_artists([artist])
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
