"""Recorded upstream payloads, parsed by the sources' own parsers, as candidates."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from app.config import ROOT
from app.correction.adapters import from_discogs, from_musicbrainz
from app.correction.candidates import Candidate, CandidateTrack
from app.correction.current import CurrentAlbum
from app.sources.discogs import parse_release as parse_discogs_release
from app.sources.musicbrainz import parse_release as parse_mb_release
from app.sources.musicbrainz import parse_search as parse_mb_search

UPSTREAM = ROOT / "app" / "demo" / "upstream"
ED_SHEERAN_PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"
KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"


def _json(path: str) -> Any:
    return json.loads((UPSTREAM / path).read_text(encoding="utf-8"))


def plus() -> Candidate:
    return from_musicbrainz(
        parse_mb_release(_json("musicbrainz/release-94ad3a58-ed-sheeran-plus-isrcs.json"))
    )


def kat_moda() -> Candidate:
    return from_musicbrainz(parse_mb_release(_json("musicbrainz/release-e47d04a4-kat-moda-digital.json")))


def kat_moda_hit() -> Candidate:
    page = parse_mb_search(_json("musicbrainz/search-release-kat-moda.json"))
    return from_musicbrainz(page.releases[0])


def never_gonna() -> Candidate:
    return from_discogs(
        parse_discogs_release(_json("discogs/release-1503102-never-gonna-give-you-up-7in.json"))
    )


def deluxe(candidate: Candidate, extra: int, **changes: Any) -> Candidate:
    """Another edition of `candidate`: `extra` bonus tracks (negative: fewer), other ids."""
    tracks = list(candidate.tracks)
    if extra < 0:
        tracks = tracks[:extra]
    for n in range(extra):
        tracks.append(
            CandidateTrack(disc=1, position=len(tracks) + 1, title=f"Bonus {n + 1}", length_ms=200_000 + n)
        )
    fake_id = str(uuid.uuid5(uuid.NAMESPACE_URL, candidate.key + str(extra)))
    ids = (
        {"musicbrainz_id": fake_id}
        if candidate.musicbrainz_id
        else {"discogs_id": "9" + candidate.external_id}
    )
    return replace(
        candidate,
        external_id=fake_id if candidate.musicbrainz_id else "9" + candidate.external_id,
        tracks=tuple(tracks),
        track_count=len(tracks),
        **ids,
        **changes,
    )


def album(
    title: str,
    artist: str,
    *,
    tracks: list[dict[str, Any]] | None = None,
    **row: Any,
) -> CurrentAlbum:
    """An album as the scorer and previewer see it, without a database."""
    base = {
        "id": uuid.uuid4(),
        "title": title,
        "version": 1,
        "locked_fields": [],
        "release_date": None,
        "release_type": None,
        "release_status": None,
        "release_country": None,
        "track_count": None,
        "duration_ms": None,
        "cover_art_url": None,
        "barcode": None,
        "label": None,
        "catalog_number": None,
        "musicbrainz_id": None,
        "discogs_id": None,
        **row,
    }
    return CurrentAlbum(row=base, tracks=tuple(tracks or ()), artist_credit=artist, artist_count=1)


def track(disc: int, number: int, title: str, duration_ms: int | None = None, **more: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "disc_number": disc,
        "track_number": number,
        "title": title,
        "duration_ms": duration_ms,
        "isrc": None,
        "musicbrainz_id": None,
        "version": 1,
        **more,
    }


def mb_release(name: str) -> Candidate:
    """A MusicBrainz release lookup from app/demo/upstream/musicbrainz/<name>.json."""
    return from_musicbrainz(parse_mb_release(_json(f"musicbrainz/{name}.json")))


async def spotify_album(name: str) -> Any:
    """An album as the Spotify sync stores it (real parser, real create_album), from <name>.json."""
    from app.catalog.albums import create_album
    from app.catalog.from_upstream import album_from_spotify
    from app.llamalog.context import JobContext, job_scope
    from app.sources.spotify import parse_album

    found = album_from_spotify(parse_album(_json(f"spotify/{name}.json")))
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        return await create_album(found, operation_path="spotify-sync", sources=["SPOTIFY"])
