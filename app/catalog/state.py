"""Derived album state: tracks on file, data quality and the reasons an album is broken."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from app.catalog.tables import Album, AlbumArtist, Track
from app.not_found import NotFound

BROKEN_REASONS = {
    "NO_TRACKS": "No tracks",
    "TRACK_COUNT_MISMATCH": "Track count does not match the tracks on file",
    "NO_RELEASE_DATE": "No release date",
    "NO_MUSICBRAINZ_ID": "No MusicBrainz ID",
    "NO_COVER": "No cover art",
    "NO_ARTIST": "No artist",
}


def broken_reasons(album: Mapping[str, object], tracks_present: int, artists: int) -> list[str]:
    reasons = []
    if tracks_present == 0:
        reasons.append("NO_TRACKS")
    elif album.get("track_count") is not None and album["track_count"] != tracks_present:
        reasons.append("TRACK_COUNT_MISMATCH")
    if not album.get("release_date"):
        reasons.append("NO_RELEASE_DATE")
    if not album.get("musicbrainz_id"):
        reasons.append("NO_MUSICBRAINZ_ID")
    if not album.get("cover_art_url"):
        reasons.append("NO_COVER")
    if artists == 0:
        reasons.append("NO_ARTIST")
    return reasons


def data_quality(album: Mapping[str, object], tracks_present: int, artists: int) -> str:
    """HIGH: complete and identified; MEDIUM: usable; LOW: missing the basics."""
    reasons = set(broken_reasons(album, tracks_present, artists))
    if not reasons:
        return "HIGH"
    if reasons & {"NO_TRACKS", "NO_ARTIST"} or len(reasons) >= 3:
        return "LOW"
    return "MEDIUM"


def encode_reasons(reasons: list[str]) -> str:
    return f",{','.join(reasons)}," if reasons else ""


def decode_reasons(value: str | None) -> list[str]:
    return [r for r in (value or "").split(",") if r]


async def refresh_album_state(album_id: uuid.UUID) -> tuple[str | None, str]:
    """Recompute tracks_present, broken_reasons and data_quality; returns (quality before, after)."""
    album = await Album.select().where(Album.id == album_id).first()
    if album is None:
        raise NotFound(f"There is no album {album_id}.")
    tracks = await Track.count().where(Track.album == album_id)
    artists = await AlbumArtist.count().where(AlbumArtist.album == album_id)
    quality = data_quality(album, tracks, artists)
    reasons = encode_reasons(broken_reasons(album, tracks, artists))
    if (album["tracks_present"], album["broken_reasons"], album["data_quality"]) != (
        tracks,
        reasons,
        quality,
    ):
        await Album.update(
            {
                Album.tracks_present: tracks,
                Album.broken_reasons: reasons,
                Album.data_quality: quality,
            }
        ).where(Album.id == album_id)
    return album["data_quality"], quality
