"""Source records → the catalog's AlbumInput, TrackInput, ArtistInput: ids checked, strings fitted."""

from __future__ import annotations

import re
import uuid

from app.catalog.records import AlbumInput, ArtistInput, TrackInput, fitted_album
from app.catalog.tables import Album, Track
from app.column_fit import fits
from app.config import get_settings
from app.sources import outbound
from app.sources.errors import InvalidRecord
from app.sources.parsing import clean
from app.sources.records import MbArtistCredit, MbRelease, MbTrack, SpotifyAlbum, SpotifyArtist, SpotifyTrack

# MusicBrainz primary types map onto the catalog's release types; "Compilation" is a secondary type there.
_MB_TYPES = {"album": "album", "single": "single", "ep": "ep", "broadcast": "broadcast", "other": "other"}


_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


def shown(value: object) -> str:
    """An upstream value quoted for an error message: cleaned and short."""
    text = clean(str(value))
    return repr(text if len(text) <= 40 else text[:40] + "…")


def musicbrainz_id(value: str | None, what: str = "MusicBrainz id") -> str | None:
    """The canonical form of a MusicBrainz id; InvalidRecord when it is not a UUID."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidRecord(f"{what} {shown(value)} is not a UUID", source="MUSICBRAINZ") from None


def spotify_id(value: str | None, what: str = "Spotify id") -> str | None:
    """A Spotify id (22 letters and digits); InvalidRecord otherwise."""
    if value is None:
        return None
    if not _SPOTIFY_ID.match(value):
        raise InvalidRecord(f"{what} {shown(value)} is not 22 letters and digits", source="SPOTIFY")
    return value


def _isrc(value: str | None) -> str | None:
    """ISRCs are optional facts, not identities: a malformed one is dropped, like a bad barcode."""
    code = (value or "").replace("-", "").upper()
    return code if _ISRC.match(code) else None


def _image_url(value: str | None) -> str | None:
    """Only URLs on the allow-list are kept (see sources/outbound.py); a URL too long to store whole
    is dropped, never cut."""
    if not value or not fits(Album.cover_art_url, value):
        return None
    return value if outbound.is_allowed(value, get_settings()) else None


def _checked(album: AlbumInput) -> AlbumInput:
    """The album fitted to the catalog's columns; InvalidRecord when it has no title to show."""
    if not album.title:
        raise InvalidRecord("the album has no title (empty after control characters were removed)")
    return fitted_album(album)


def artists_from_credits(credits: tuple[MbArtistCredit, ...]) -> tuple[ArtistInput, ...]:
    return tuple(
        ArtistInput(
            name=c.artist_name,
            sort_name=c.sort_name,
            musicbrainz_id=musicbrainz_id(c.artist_id, "artist id"),
            join_phrase=c.join_phrase,
        )
        for c in credits
    )


def track_from_musicbrainz(track: MbTrack, album_artists: tuple[ArtistInput, ...] = ()) -> TrackInput:
    return TrackInput(
        title=track.title,
        track_number=track.position,
        disc_number=track.disc,
        duration_ms=track.length_ms,
        isrc=_isrc(track.isrcs[0]) if track.isrcs else None,
        musicbrainz_id=musicbrainz_id(track.recording_id, "recording id"),
        artists=artists_from_credits(track.artist_credits) or album_artists,
    )


def album_from_musicbrainz(release: MbRelease, *, cover_art_url: str | None = None) -> AlbumInput:
    """A release as an album: audio tracks of every medium (data tracks and pregaps left out).

    Raises InvalidRecord for an id that is not one; every string is fitted to its column."""
    if release.malformed:
        raise InvalidRecord(f"the release could not be read ({release.malformed})", source="MUSICBRAINZ")
    group = release.release_group
    primary = (group.primary_type or "").lower() if group else ""
    secondary = group.secondary_types if group else ()
    release_type = "compilation" if "Compilation" in secondary else _MB_TYPES.get(primary)
    label = next((lbl for lbl in release.labels if lbl.name and lbl.name != "[no label]"), None)
    catalog_number = next((lbl.catalog_number for lbl in release.labels if lbl.catalog_number), None)
    artists = artists_from_credits(release.artist_credits)
    tracks = tuple(track_from_musicbrainz(t, artists) for t in release.tracks if t.position > 0)
    return _checked(
        AlbumInput(
            title=release.title,
            release_date=release.date or (group.first_release_date if group else None),
            release_type=release_type,
            release_status=release.status,
            release_country=release.country,
            genres=release.genres,
            secondary_types=tuple(s.lower() for s in secondary),
            track_count=release.track_count or None,
            duration_ms=release.duration_ms,
            cover_art_url=cover_art_url,
            barcode=_barcode(release.barcode),
            label=label.name if label else None,
            catalog_number=None if catalog_number in ("[none]", "none") else catalog_number,
            musicbrainz_id=musicbrainz_id(release.id, "release id"),
            artists=artists,
            tracks=tracks,
        )
    )


def artists_from_spotify(artists: tuple[SpotifyArtist, ...]) -> tuple[ArtistInput, ...]:
    """Spotify lists co-artists without join phrases; glue them the way it displays them."""
    return tuple(
        ArtistInput(
            name=a.name,
            spotify_id=spotify_id(a.id, "artist id"),
            join_phrase=", " if i < len(artists) - 1 else "",
        )
        for i, a in enumerate(artists)
    )


def track_from_spotify(track: SpotifyTrack) -> TrackInput:
    return TrackInput(
        title=track.title,
        track_number=track.track_number,
        disc_number=track.disc_number,
        duration_ms=track.duration_ms,
        isrc=_isrc(track.isrc),
        explicit=track.explicit,
        preview_url=track.preview_url
        if track.preview_url and fits(Track.preview_url, track.preview_url)
        else None,
        spotify_id=spotify_id(track.id, "track id"),
        artists=artists_from_spotify(track.artists),
    )


def album_from_spotify(album: SpotifyAlbum) -> AlbumInput:
    """An album as Spotify describes it; `track_count` is what Spotify says, even when no tracks came.

    Raises InvalidRecord for an id that is not one; every string is fitted to its column."""
    return _checked(
        AlbumInput(
            title=album.title,
            release_date=album.release_date,
            release_type=album.album_type if album.album_type in ("album", "single", "compilation") else None,
            genres=album.genres,
            track_count=album.total_tracks if album.total_tracks is not None else album.tracks_total,
            duration_ms=album.duration_ms,
            cover_art_url=_image_url(album.image_url),
            barcode=_barcode(album.upc),
            label=album.label,
            spotify_id=spotify_id(album.id, "album id"),
            artists=artists_from_spotify(album.artists),
            tracks=tuple(track_from_spotify(t) for t in album.tracks if t.track_number > 0),
        )
    )


def _barcode(value: str | None) -> str | None:
    """Only barcodes the catalog accepts (8–14 digits); anything else is dropped, not stored wrong."""
    digits = (value or "").replace(" ", "")
    return digits if digits.isdigit() and 8 <= len(digits) <= 14 else None
