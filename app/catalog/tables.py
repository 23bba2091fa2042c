"""Catalog tables: albums, artists, tracks and the links between them."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    Array,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ENRICHMENT_STATUSES = (
    "UNENRICHED",
    "QUEUED",
    "IN_PROGRESS",
    "COMPLETED",
    "FAILED",
    "PARTIAL_SUCCESS",
    "NO_DATA_AVAILABLE",
    "SKIPPED",
)
DATA_QUALITIES = ("LOW", "MEDIUM", "HIGH")


class Album(Table, tablename="album"):
    id = UUID(primary_key=True)
    # Titles and names are Text: a real one can be longer than any Varchar we would pick.
    title = Text()
    release_date = Varchar(length=10, null=True, default=None)
    release_type = Varchar(length=50, null=True, default=None)
    release_status = Varchar(length=50, null=True, default=None)
    release_country = Varchar(length=10, null=True, default=None)
    genres = Array(base_column=Varchar(length=100), default=list)
    secondary_types = Array(base_column=Varchar(length=50), default=list)
    track_count = Integer(null=True, default=None)
    duration_ms = BigInt(null=True, default=None)
    cover_art_url = Varchar(length=1000, null=True, default=None)
    barcode = Varchar(length=50, null=True, default=None)
    label = Text(null=True, default=None)
    catalog_number = Varchar(length=100, null=True, default=None)
    musicbrainz_id = Varchar(length=36, null=True, default=None, unique=True)
    spotify_id = Varchar(length=62, null=True, default=None, unique=True)
    discogs_id = Varchar(length=30, null=True, default=None, index=True)
    source = Varchar(length=30, default="USER", index=True)
    data_quality = Varchar(length=10, default="LOW", index=True)
    enrichment_status = Varchar(length=20, default="UNENRICHED", index=True)
    last_enriched_at = Timestamptz(null=True, default=None)
    locked_fields = Array(base_column=Varchar(length=50), default=list)
    # Derived by catalog.state after every change: tracks on file and why the album is broken,
    # kept as ",NO_TRACKS,NO_COVER," so the fix queue is one indexed query.
    tracks_present = Integer(default=0)
    broken_reasons = Varchar(length=300, default="", index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Artist(Table, tablename="artist"):
    id = UUID(primary_key=True)
    name = Text()
    sort_name = Text(null=True, default=None)
    # Normalised identity used for insert-on-conflict: "mb:<mbid>", "sp:<id>" or "name:<folded>".
    dedup_key = Varchar(length=600, unique=True)
    name_key = Varchar(length=500, index=True)
    musicbrainz_id = Varchar(length=36, null=True, default=None, unique=True)
    spotify_id = Varchar(length=62, null=True, default=None, unique=True)
    discogs_id = Varchar(length=30, null=True, default=None)
    country = Varchar(length=10, null=True, default=None)
    image_url = Varchar(length=1000, null=True, default=None)
    disambiguation = Varchar(length=500, null=True, default=None)
    enrichment_status = Varchar(length=20, default="UNENRICHED")
    last_enriched_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Track(Table, tablename="track"):
    id = UUID(primary_key=True)
    album = ForeignKey(references=Album, on_delete=OnDelete.cascade, index=True)
    title = Text()
    disc_number = Integer(default=1)
    track_number = Integer()
    duration_ms = Integer(null=True, default=None)
    isrc = Varchar(length=12, null=True, default=None)
    explicit = Boolean(default=False)
    preview_url = Varchar(length=1000, null=True, default=None)
    musicbrainz_id = Varchar(length=36, null=True, default=None)
    spotify_id = Varchar(length=62, null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AlbumArtist(Table, tablename="album_artist"):
    id = UUID(primary_key=True)
    album = ForeignKey(references=Album, on_delete=OnDelete.cascade, index=True)
    artist = ForeignKey(references=Artist, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=30, default="primary")
    position = Integer(default=0)
    join_phrase = Varchar(length=50, default="")


class TrackArtist(Table, tablename="track_artist"):
    id = UUID(primary_key=True)
    track = ForeignKey(references=Track, on_delete=OnDelete.cascade, index=True)
    artist = ForeignKey(references=Artist, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=30, default="primary")
    position = Integer(default=0)
