"""Typed inputs of the catalog services: what a source or a form hands over."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.catalog.rows import FieldValue
from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.column_fit import fit, fit_values


@dataclass(frozen=True)
class ArtistInput:
    name: str
    sort_name: str | None = None
    musicbrainz_id: str | None = None
    spotify_id: str | None = None
    discogs_id: str | None = None
    country: str | None = None
    join_phrase: str = ""


@dataclass(frozen=True)
class TrackInput:
    title: str
    track_number: int
    disc_number: int = 1
    duration_ms: int | None = None
    isrc: str | None = None
    explicit: bool = False
    preview_url: str | None = None
    musicbrainz_id: str | None = None
    spotify_id: str | None = None
    artists: tuple[ArtistInput, ...] = ()


@dataclass(frozen=True)
class AlbumInput:
    title: str
    release_date: str | None = None
    release_type: str | None = None
    release_status: str | None = None
    release_country: str | None = None
    genres: tuple[str, ...] = ()
    secondary_types: tuple[str, ...] = ()
    track_count: int | None = None
    duration_ms: int | None = None
    cover_art_url: str | None = None
    barcode: str | None = None
    label: str | None = None
    catalog_number: str | None = None
    musicbrainz_id: str | None = None
    spotify_id: str | None = None
    discogs_id: str | None = None
    artists: tuple[ArtistInput, ...] = ()
    tracks: tuple[TrackInput, ...] = field(default=())

    def column_values(self) -> dict[str, FieldValue]:
        """The album's own columns (no artists, no tracks)."""
        skip = {"artists", "tracks"}
        values: dict[str, FieldValue] = {}
        for name in self.__dataclass_fields__:
            if name in skip:
                continue
            value = getattr(self, name)
            values[name] = list(value) if isinstance(value, tuple) else value
        return values


def fitted_artist(artist: ArtistInput) -> ArtistInput:
    """The artist with every string cut to its column (names are Text: kept whole up to the cap)."""
    return replace(
        artist,
        name=fit(Artist.name, artist.name) or "",
        sort_name=fit(Artist.sort_name, artist.sort_name),
        country=fit(Artist.country, artist.country),
        join_phrase=fit(AlbumArtist.join_phrase, artist.join_phrase) or "",
    )


def fitted_track(track: TrackInput) -> TrackInput:
    return replace(
        track,
        title=fit(Track.title, track.title) or "",
        artists=tuple(fitted_artist(a) for a in track.artists),
    )


def fitted_album(album: AlbumInput) -> AlbumInput:
    """The album, its artists and tracks with every string fitted to its column."""
    values = fit_values(Album, album.column_values())
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return replace(
        album,
        **values,
        artists=tuple(fitted_artist(a) for a in album.artists),
        tracks=tuple(fitted_track(t) for t in album.tracks),
    )
