"""The album as it is now: its row, its tracks and its artist credit, read in three queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, cast

from app.catalog.rows import AlbumRow, TrackRow
from app.catalog.tables import Album, AlbumArtist, Track
from app.not_found import NotFound

TRACK_COLUMNS = ("title", "disc_number", "track_number", "duration_ms", "isrc", "musicbrainz_id")


# An album credit as load_many_current reads it (the artist name through the join).
_Credit = TypedDict("_Credit", {"artist.name": str, "join_phrase": str | None})


@dataclass(frozen=True)
class CurrentAlbum:
    row: AlbumRow
    tracks: tuple[TrackRow, ...]
    artist_credit: str
    artist_count: int

    @property
    def id(self) -> uuid.UUID:
        return self.row["id"]

    @property
    def version(self) -> int:
        return int(self.row["version"])

    @property
    def locked(self) -> frozenset[str]:
        return frozenset(self.row["locked_fields"] or ())

    @property
    def track_count(self) -> int | None:
        """The count the album claims, else the tracks on file (None when it has neither)."""
        if count := self.row["track_count"]:
            return int(count)
        return len(self.tracks) or None


async def load_current(album_id: uuid.UUID | str) -> CurrentAlbum:
    """Raises LookupError when the album does not exist."""
    row = cast(AlbumRow | None, await Album.select().where(Album.id == album_id).first())
    if row is None:
        raise NotFound(f"There is no album {album_id}.")
    tracks = cast(
        list[TrackRow],
        await Track.select()
        .where(Track.album == album_id)
        .order_by(Track.disc_number)
        .order_by(Track.track_number),
    )
    credits = cast(
        list[_Credit],
        await AlbumArtist.select(AlbumArtist.artist.name, AlbumArtist.join_phrase)
        .where(AlbumArtist.album == album_id)
        .order_by(AlbumArtist.position),
    )
    return CurrentAlbum(
        row=row, tracks=tuple(tracks), artist_credit=_credit(credits), artist_count=len(credits)
    )


async def load_many_current(album_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CurrentAlbum]:
    """Many albums as `load_current` reads one, in three queries whatever their number."""
    if not album_ids:
        return {}
    rows = cast(list[AlbumRow], await Album.select().where(Album.id.is_in(list(album_ids))))
    tracks: dict[uuid.UUID, list[TrackRow]] = {row["id"]: [] for row in rows}
    for track in (
        await Track.select()
        .where(Track.album.is_in(list(tracks)))
        .order_by(Track.disc_number)
        .order_by(Track.track_number)
    ):
        tracks[track["album"]].append(cast(TrackRow, track))
    credits: dict[uuid.UUID, list[_Credit]] = {row["id"]: [] for row in rows}
    for link in (
        await AlbumArtist.select(AlbumArtist.album, AlbumArtist.artist.name, AlbumArtist.join_phrase)
        .where(AlbumArtist.album.is_in(list(tracks)))
        .order_by(AlbumArtist.position)
    ):
        credits[link["album"]].append(cast(_Credit, link))
    return {
        row["id"]: CurrentAlbum(
            row=row,
            tracks=tuple(tracks[row["id"]]),
            artist_credit=_credit(credits[row["id"]]),
            artist_count=len(credits[row["id"]]),
        )
        for row in rows
    }


def _credit(credits: list[_Credit]) -> str:
    credit = "".join(f"{c['artist.name']}{c['join_phrase'] or ''}" for c in credits)
    if credits and not any(c["join_phrase"] for c in credits[:-1]):
        credit = ", ".join(c["artist.name"] for c in credits)
    return credit
