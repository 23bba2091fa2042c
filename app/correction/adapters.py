"""Candidates from the sources' typed records (never from upstream JSON), fitted to the columns."""

from __future__ import annotations

import re

from app.correction.candidates import Candidate, CandidateArtist, CandidateTrack
from app.correction.fitted import fitted
from app.sources.records import (
    DiscogsArtist,
    DiscogsRelease,
    DiscogsSearchResult,
    DiscogsTrack,
    MbRelease,
)

MUSICBRAINZ_WEB = "https://musicbrainz.org"
DISCOGS_WEB = "https://www.discogs.com"

# Discogs names countries; the catalog keeps ISO codes (XE Europe, XW worldwide as MusicBrainz does).
DISCOGS_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "uk": "GB",
    "europe": "XE",
    "worldwide": "XW",
    "germany": "DE",
    "france": "FR",
    "japan": "JP",
    "canada": "CA",
    "australia": "AU",
    "netherlands": "NL",
    "italy": "IT",
    "spain": "ES",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "belgium": "BE",
    "austria": "AT",
    "switzerland": "CH",
    "brazil": "BR",
    "mexico": "MX",
    "russia": "RU",
    "poland": "PL",
    "new zealand": "NZ",
    "ireland": "IE",
    "south korea": "KR",
}
DISCOGS_TYPES = {
    "album": "album",
    "lp": "album",
    "ep": "ep",
    "single": "single",
    "compilation": "compilation",
}
_DISC_PREFIX = re.compile(r"^(?:cd|dvd|disc|lp)?\s*(\d+)\s*[-.:]\s*\d+", re.IGNORECASE)
_DISAMBIGUATION = re.compile(r"\s*\(\d+\)$")


def _release_type(primary: str | None, secondary: tuple[str, ...]) -> str | None:
    if "Compilation" in secondary:
        return "compilation"
    return primary.lower() if primary else None


def from_musicbrainz(release: MbRelease, *, cover_url: str | None = None) -> Candidate:
    """A MusicBrainz release (lookup or search hit) as a candidate; data tracks are left out."""
    group = release.release_group
    label = next((lab for lab in release.labels if lab.name or lab.catalog_number), None)
    return fitted(
        Candidate(
            source="MUSICBRAINZ",
            external_id=release.id,
            title=release.title,
            artist_credit=release.artist_phrase,
            release_date=release.date or (group.first_release_date if group else None),
            first_release_date=group.first_release_date if group else None,
            country=release.country,
            barcode=release.barcode or None,
            label=label.name if label else None,
            catalog_number=label.catalog_number if label else None,
            release_type=_release_type(group.primary_type, group.secondary_types) if group else None,
            status=release.status,
            cover_url=cover_url,
            url=f"{MUSICBRAINZ_WEB}/release/{release.id}",
            artists=tuple(
                CandidateArtist(name=c.artist_name, musicbrainz_id=c.artist_id, join_phrase=c.join_phrase)
                for c in release.artist_credits
            ),
            tracks=tuple(
                CandidateTrack(
                    disc=t.disc,
                    position=t.position,
                    title=t.title,
                    length_ms=t.length_ms,
                    isrc=t.isrcs[0] if t.isrcs else None,
                    recording_id=t.recording_id,
                    number=t.number,
                )
                for t in release.tracks
            ),
            track_count=release.track_count or None,
            musicbrainz_id=release.id,
        )
    )


def discogs_name(artist: DiscogsArtist) -> str:
    """The credited name, without Discogs' "(2)" and with "Persuader, The" turned round."""
    name = _DISAMBIGUATION.sub("", artist.anv or artist.name)
    if name.endswith(", The"):
        name = "The " + name[: -len(", The")]
    return name


def discogs_country(name: str | None) -> str | None:
    if not name:
        return None
    if re.fullmatch(r"[A-Z]{2}", name):
        return "GB" if name == "UK" else name
    return DISCOGS_COUNTRIES.get(name.casefold())


def discogs_tracks(tracklist: tuple[DiscogsTrack, ...]) -> tuple[CandidateTrack, ...]:
    """Number Discogs positions ("A1", "B2", "2-03", "CD1-4") as disc + position.

    A "<disc>-<n>" prefix names the disc; vinyl sides and plain numbers run on as one disc.
    """
    result: list[CandidateTrack] = []
    counters: dict[int, int] = {}
    for track in tracklist:
        match = _DISC_PREFIX.match(track.position.strip())
        disc = int(match.group(1)) if match else 1
        counters[disc] = counters.get(disc, 0) + 1
        result.append(
            CandidateTrack(
                disc=disc,
                position=counters[disc],
                title=track.title,
                length_ms=track.duration_ms,
                number=track.position or None,
            )
        )
    return tuple(result)


def from_discogs(release: DiscogsRelease) -> Candidate:
    label = release.labels[0] if release.labels else None
    credit = "".join(
        discogs_name(a) + (f" {a.join} " if a.join and a.join != "," else (", " if a.join else ""))
        for a in release.artists
    ).strip()
    tracks = discogs_tracks(release.tracks)
    return fitted(
        Candidate(
            source="DISCOGS",
            external_id=str(release.id),
            title=release.title,
            artist_credit=credit,
            release_date=release.released or (str(release.year) if release.year else None),
            country=discogs_country(release.country),
            barcode=release.barcode,
            label=_DISAMBIGUATION.sub("", label.name) if label else None,
            catalog_number=label.catalog_number if label and label.catalog_number != "none" else None,
            cover_url=release.image_url,
            url=f"{DISCOGS_WEB}/release/{release.id}",
            artists=tuple(
                CandidateArtist(
                    name=discogs_name(a), discogs_id=str(a.id) if a.id else None, join_phrase=a.join
                )
                for a in release.artists
            ),
            tracks=tracks,
            track_count=len(tracks) or None,
            discogs_id=str(release.id),
        )
    )


def from_discogs_hit(hit: DiscogsSearchResult, *, barcode: str | None = None) -> Candidate:
    """A search hit ("Artist - Title"): no tracks yet; `barcode` when the search was by barcode."""
    artist, _, title = hit.title.partition(" - ")
    if not title:
        artist, title = "", hit.title
    types = [DISCOGS_TYPES[f.casefold()] for f in hit.formats if f.casefold() in DISCOGS_TYPES]
    return fitted(
        Candidate(
            source="DISCOGS",
            external_id=str(hit.id),
            title=title.strip(),
            artist_credit=_DISAMBIGUATION.sub("", artist.strip()),
            release_date=str(hit.year) if hit.year else None,
            country=discogs_country(hit.country),
            barcode=barcode,
            label=_DISAMBIGUATION.sub("", hit.label) if hit.label else None,
            catalog_number=hit.catalog_number if hit.catalog_number != "none" else None,
            release_type=types[0] if types else None,
            cover_url=None,
            url=f"{DISCOGS_WEB}/release/{hit.id}",
            discogs_id=str(hit.id),
        )
    )
