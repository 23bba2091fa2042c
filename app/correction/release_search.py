"""Search MusicBrainz, Spotify and Discogs for a release to add (/albums/new), and fetch one in full.

The MusicBrainz and Discogs side is the fix search (app/correction/search.py): the same lookups,
merging and notes. Spotify's album search runs beside it. Each result says whether the catalog
already has it (same MusicBrainz, Spotify or Discogs id), so it is offered to open, not to add.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace

from app.catalog.from_upstream import album_from_musicbrainz, album_from_spotify, musicbrainz_id, spotify_id
from app.catalog.records import AlbumInput, ArtistInput, TrackInput, fitted_album
from app.catalog.tables import Album
from app.correction.candidates import Candidate
from app.correction.lookup import lookup_discogs
from app.correction.search import SEARCH_LIMIT, NotALookup, SearchQuery, _guard, find_candidates, read_pasted
from app.sources import clients
from app.sources.errors import InvalidRecord, SourceDisabled
from app.sources.records import SpotifyAlbum

MAX_QUERY = 200
SOURCE_NAMES = {"MUSICBRAINZ": "MusicBrainz", "SPOTIFY": "Spotify", "DISCOGS": "Discogs"}


class SearchRefused(ValueError):
    """The query cannot be searched (empty, too long, a malformed link): said in words."""


@dataclass(frozen=True)
class FoundRelease:
    source: str  # MUSICBRAINZ | SPOTIFY | DISCOGS
    key: str  # musicbrainz:<mbid> | spotify:<id> | discogs:<id>
    title: str
    artist_credit: str = ""
    year: str | None = None
    label: str | None = None
    track_count: int | None = None
    cover_url: str | None = None
    url: str | None = None
    in_catalog: uuid.UUID | None = None  # the album that already has this release

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES.get(self.source, self.source.title())


@dataclass
class ReleaseSearch:
    query: str = ""
    results: list[FoundRelease] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)


def parse_query(text: str) -> SearchQuery:
    """What to search for: a pasted MBID/Discogs link as such, "Artist - Title", or a title."""
    value = text.strip()
    if not value:
        raise SearchRefused("Type a title (or “Artist - Title”, or paste a MusicBrainz or Discogs link).")
    if len(value) > MAX_QUERY:
        raise SearchRefused(f"The search is {len(value)} characters long; keep it under {MAX_QUERY}.")
    try:
        pasted = read_pasted(value)
    except NotALookup as exc:
        raise SearchRefused(f"That is {exc}.") from None
    if pasted and pasted.kind in ("mbid", "discogs_release", "discogs_master"):
        return SearchQuery(pasted=value)
    artist, dash, title = value.partition(" - ")
    if dash and artist.strip() and title.strip():
        return SearchQuery(title=title.strip(), artist=artist.strip())
    return SearchQuery(title=value)


def _from_candidate(candidate: Candidate) -> FoundRelease:
    return FoundRelease(
        source=candidate.source,
        key=candidate.key,
        title=candidate.title,
        artist_credit=candidate.artist_credit,
        year=(candidate.release_date or "")[:4] or None,
        label=candidate.label,
        track_count=candidate.known_track_count,
        cover_url=candidate.cover_url,
        url=candidate.url,
    )


def _from_spotify(album: SpotifyAlbum) -> FoundRelease:
    return FoundRelease(
        source="SPOTIFY",
        key=f"spotify:{album.id}",
        title=album.title,
        artist_credit=", ".join(a.name for a in album.artists),
        year=(album.release_date or "")[:4] or None,
        label=album.label,
        track_count=album.total_tracks,
        cover_url=album.image_url,
        url=f"https://open.spotify.com/album/{album.id}",
    )


async def _spotify(query: SearchQuery) -> list[FoundRelease]:
    if query.pasted:
        return []
    if not clients.spotify().enabled:
        raise SourceDisabled(clients.spotify().status().reason or "no credentials", source="SPOTIFY")
    title, artist = query.title.replace('"', " "), query.artist.replace('"', " ")  # a quote ends the filter
    text = f'album:"{title}"' + (f' artist:"{artist}"' if artist else "")
    page = await clients.spotify().search(text, limit=SEARCH_LIMIT)
    return [_from_spotify(album) for album in page.items if not album.malformed]


async def _others(query: SearchQuery, outcome: ReleaseSearch) -> list[FoundRelease]:
    found = await find_candidates(query)
    outcome.notes.extend(found.notes)
    outcome.failures.extend(found.failures)
    return [_from_candidate(c) for c in found.candidates]


async def existing_album(key: str) -> uuid.UUID | None:
    """The album that already carries this release's id, if any."""
    source, _, ident = key.partition(":")
    column = {"musicbrainz": Album.musicbrainz_id, "spotify": Album.spotify_id, "discogs": Album.discogs_id}
    if source not in column or not ident:
        return None
    row = await Album.select(Album.id).where(column[source] == ident).first()
    return row["id"] if row else None


async def search_releases(text: str) -> ReleaseSearch:
    """Every source searched together; a failing or disabled source is a note, the others still answer.

    Raises SearchRefused for a query that cannot be searched."""
    query = parse_query(text)
    outcome = ReleaseSearch(query=text.strip())
    spotify_notes: list[str] = []
    others, spotify = await asyncio.gather(
        _others(query, outcome), _guard("Spotify", _spotify(query), spotify_notes, outcome.failures)
    )
    outcome.notes.extend(spotify_notes)
    outcome.notes = list(dict.fromkeys(outcome.notes))
    results = [*others, *spotify]
    owners = await asyncio.gather(*(existing_album(r.key) for r in results))
    outcome.results = [
        replace(r, in_catalog=owner) if owner else r for r, owner in zip(results, owners, strict=True)
    ]
    return outcome


def parse_key(key: str) -> tuple[str, str]:
    """(source, id) of a result key; SearchRefused when it names no release we can fetch."""
    source, _, ident = key.strip().partition(":")
    try:
        if source == "musicbrainz":
            return source, musicbrainz_id(ident) or ""
        if source == "spotify":
            return source, spotify_id(ident) or ""
    except InvalidRecord as exc:
        raise SearchRefused(f"Not a release to add: {exc.message}.") from None
    if source == "discogs" and ident.isdigit() and len(ident) <= 20:
        return source, ident
    raise SearchRefused(f"Not a release to add: {key[:80]!r}.")


def _from_discogs(candidate: Candidate) -> AlbumInput:
    artists = tuple(
        ArtistInput(name=a.name, discogs_id=a.discogs_id, join_phrase=a.join_phrase)
        for a in candidate.artists
    )
    return fitted_album(
        AlbumInput(
            title=candidate.title,
            release_date=candidate.release_date,
            release_type=candidate.release_type,
            release_country=candidate.country,
            track_count=candidate.known_track_count,
            duration_ms=candidate.duration_ms,
            barcode=candidate.barcode,
            label=candidate.label,
            catalog_number=candidate.catalog_number,
            discogs_id=candidate.discogs_id,
            artists=artists,
            tracks=tuple(
                TrackInput(
                    title=t.title, track_number=t.position, disc_number=t.disc, duration_ms=t.length_ms
                )
                for t in candidate.tracks
            ),
        )
    )


async def release_in_full(key: str) -> tuple[str, AlbumInput]:
    """The release behind a result key as the album to create: (SOURCE, album).

    Raises SearchRefused for a bad key; the source's errors (NotFound, timeouts, …) as they come."""
    source, ident = parse_key(key)
    if source == "musicbrainz":
        return "MUSICBRAINZ", album_from_musicbrainz(await clients.musicbrainz().release(ident))
    if source == "spotify":
        return "SPOTIFY", album_from_spotify(await clients.spotify().album(ident))
    return "DISCOGS", _from_discogs(await lookup_discogs(ident))
