"""A candidate in full (every track), by its key; kept a few minutes so preview → apply asks once."""

from __future__ import annotations

import time
from dataclasses import replace

from app.correction.adapters import from_discogs, from_musicbrainz
from app.correction.candidates import Candidate
from app.sources import clients
from app.sources.errors import SourceError

CACHE_SECONDS = 600.0
CACHE_SIZE = 64
_cache: dict[str, tuple[float, Candidate]] = {}


async def lookup_musicbrainz(mbid: str) -> Candidate:
    """The full release (tracks, labels) with its front cover when the archive has one."""
    release = await clients.musicbrainz().release(mbid)
    try:
        front = await clients.coverart().front(release.id)
    except SourceError:
        front = None  # a cover is a nicety: the release is still a candidate
    # The same image the cover caching job would pick, so the two never trade it back and forth.
    cover = (front.thumbnail_500 or front.url) if front else None
    return _remember(from_musicbrainz(release, cover_url=cover))


async def lookup_discogs(release_id: str) -> Candidate:
    return _remember(from_discogs(await clients.discogs().release(release_id)))


def _remember(candidate: Candidate) -> Candidate:
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(min(_cache, key=lambda k: _cache[k][0]))
    _cache[candidate.key] = (time.monotonic(), candidate)
    return candidate


def forget() -> None:
    _cache.clear()


async def candidate_by_key(key: str, *, discogs_id: str | None = None) -> Candidate:
    """`musicbrainz:<mbid>` or `discogs:<id>` in full; `discogs_id` re-attaches a merged Discogs match.

    Raises ValueError for a malformed key and the source's errors (NotFound, …) as they come.
    """
    source, _, ident = key.partition(":")
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        candidate = cached[1]
    elif source == "musicbrainz" and ident:
        candidate = await lookup_musicbrainz(ident)
    elif source == "discogs" and ident.isdigit():
        candidate = await lookup_discogs(ident)
    else:
        raise ValueError(f"not a candidate key: {key!r}")
    if discogs_id and discogs_id.isdigit() and candidate.source == "MUSICBRAINZ":
        candidate = replace(candidate, discogs_id=discogs_id, also=("DISCOGS",))
    return candidate
