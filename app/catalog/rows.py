"""Catalog rows as Piccolo's `select()` returns them (every column), and the values an update writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import TypeAlias, TypedDict, cast

from app.db import ColumnUpdates as ColumnUpdates

# One value of an album or track field, as a form sends it, a service cleans it or a row holds it.
FieldValue: TypeAlias = str | int | list[str] | dt.datetime | None


class AlbumRow(TypedDict):
    id: uuid.UUID
    title: str
    release_date: str | None
    release_type: str | None
    release_status: str | None
    release_country: str | None
    genres: list[str]
    secondary_types: list[str]
    track_count: int | None
    duration_ms: int | None
    cover_art_url: str | None
    barcode: str | None
    label: str | None
    catalog_number: str | None
    musicbrainz_id: str | None
    spotify_id: str | None
    discogs_id: str | None
    source: str
    data_quality: str
    enrichment_status: str
    last_enriched_at: dt.datetime | None
    locked_fields: list[str]
    tracks_present: int
    broken_reasons: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ArtistRow(TypedDict):
    id: uuid.UUID
    name: str
    sort_name: str | None
    dedup_key: str
    name_key: str
    musicbrainz_id: str | None
    spotify_id: str | None
    discogs_id: str | None
    country: str | None
    image_url: str | None
    disambiguation: str | None
    enrichment_status: str
    last_enriched_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TrackRow(TypedDict):
    id: uuid.UUID
    album: uuid.UUID
    title: str
    disc_number: int
    track_number: int
    duration_ms: int | None
    isrc: str | None
    explicit: bool
    preview_url: str | None
    musicbrainz_id: str | None
    spotify_id: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class VersionedRow(TypedDict):
    """What a compare-and-set write needs of the row it read (any row of album or track)."""

    id: uuid.UUID
    version: int


class CleanAlbum(TypedDict, total=False):
    """Album fields as validation cleans them (only the ones given)."""

    title: str
    release_date: str | None
    release_type: str | None
    release_status: str | None
    release_country: str | None
    track_count: int | None
    cover_art_url: str | None
    barcode: str | None
    label: str | None
    catalog_number: str | None
    musicbrainz_id: str | None
    spotify_id: str | None
    discogs_id: str | None


class CleanTrack(TypedDict, total=False):
    """Track fields as validation cleans them (only the ones given)."""

    title: str
    track_number: int
    disc_number: int
    duration_ms: int | None
    isrc: str | None
    explicit: bool


class FieldChange(TypedDict):
    """One field's `before`/`after` in a row's `changes`."""

    before: FieldValue
    after: FieldValue


FieldChanges: TypeAlias = dict[str, FieldChange]


def field_value(row: AlbumRow | ArtistRow | TrackRow | CleanAlbum | CleanTrack, name: str) -> FieldValue:
    """The value of a field named at run time (an edit's, a correction's): KeyError when none."""
    return cast(Mapping[str, FieldValue], row)[name]


def field_items(fields: CleanAlbum | CleanTrack) -> list[tuple[str, FieldValue]]:
    """The cleaned fields as (name, value) pairs, for code that walks them by name."""
    return list(cast(Mapping[str, FieldValue], fields).items())


# --- what the album, artist and track pages (and /api/albums) render ------------------------------


class ArtistCredit(TypedDict):
    """An artist credited on an album, in credit order."""

    id: uuid.UUID
    name: str
    role: str
    join_phrase: str


class ListedAlbum(TypedDict):
    """A row of the album list (listing.LIST_COLUMNS) with its artists and broken reasons."""

    id: uuid.UUID
    title: str
    release_date: str | None
    release_type: str | None
    source: str
    data_quality: str
    enrichment_status: str
    broken_reasons: str
    tracks_present: int
    track_count: int | None
    cover_art_url: str | None
    musicbrainz_id: str | None
    spotify_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    artists: list[ArtistCredit]
    reasons: list[str]


class AlbumTrack(TypedDict):
    """A track as the album page lists it (detail.TRACK_COLUMNS)."""

    id: uuid.UUID
    title: str
    disc_number: int
    track_number: int
    duration_ms: int | None
    isrc: str | None
    explicit: bool
    musicbrainz_id: str | None
    spotify_id: str | None
    version: int


class AlbumDetail(AlbumRow):
    """The album page's album: its row with artists, tracks (disc, number order) and broken reasons."""

    artists: list[ArtistCredit]
    tracks: list[AlbumTrack]
    reasons: list[str]


class ArtistAlbum(TypedDict):
    """An album on the artist page."""

    id: uuid.UUID
    title: str
    release_date: str | None
    role: str


class TrackWithAlbum(TrackRow):
    album_title: str


class TrackCredit(TypedDict):
    id: uuid.UUID
    name: str
    role: str
