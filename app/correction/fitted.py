"""Candidates fitted to the catalog's columns at the edge, as a sync fits what it imports.

Text a person reads (titles, names, label, catalog number) is cut to its column with a marker;
an id, code or URL is kept whole or left out, since one cut short names something else.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from piccolo.columns import Column

from app.catalog.tables import Album, AlbumArtist, Artist, Track
from app.column_fit import fit
from app.column_limits import column_problem
from app.correction.candidates import Candidate, CandidateArtist, CandidateTrack

_T = TypeVar("_T")


def whole(column: Column, value: _T) -> _T | None:
    """`value` when `column` holds it as it is, else None."""
    return value if column_problem(column, value) is None else None


def _artist(artist: CandidateArtist) -> CandidateArtist:
    return replace(
        artist,
        name=fit(Artist.name, artist.name) or "",
        musicbrainz_id=whole(Artist.musicbrainz_id, artist.musicbrainz_id),
        discogs_id=whole(Artist.discogs_id, artist.discogs_id),
        join_phrase=fit(AlbumArtist.join_phrase, artist.join_phrase) or "",
    )


def _track(track: CandidateTrack) -> CandidateTrack:
    return replace(
        track,
        title=fit(Track.title, track.title) or "",
        length_ms=whole(Track.duration_ms, track.length_ms),
        isrc=whole(Track.isrc, track.isrc),
        recording_id=whole(Track.musicbrainz_id, track.recording_id),
        number=fit(Track.title, track.number),
    )


def fitted(candidate: Candidate) -> Candidate:
    """`candidate` with every value the catalog may store fitted to its column."""
    return replace(
        candidate,
        title=fit(Album.title, candidate.title) or "",
        artist_credit=fit(Artist.name, candidate.artist_credit) or "",
        release_date=whole(Album.release_date, candidate.release_date),
        first_release_date=whole(Album.release_date, candidate.first_release_date),
        country=whole(Album.release_country, candidate.country),
        barcode=whole(Album.barcode, candidate.barcode),
        label=fit(Album.label, candidate.label),
        catalog_number=fit(Album.catalog_number, candidate.catalog_number),
        release_type=whole(Album.release_type, candidate.release_type),
        status=whole(Album.release_status, candidate.status),
        cover_url=whole(Album.cover_art_url, candidate.cover_url),
        artists=tuple(_artist(a) for a in candidate.artists),
        tracks=tuple(_track(t) for t in candidate.tracks),
        track_count=whole(Album.track_count, candidate.track_count),
        musicbrainz_id=whole(Album.musicbrainz_id, candidate.musicbrainz_id),
        discogs_id=whole(Album.discogs_id, candidate.discogs_id),
    )
