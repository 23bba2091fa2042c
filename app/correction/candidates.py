"""A source-neutral release candidate: what MusicBrainz or Discogs says an album should be."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SOURCES = ("MUSICBRAINZ", "DISCOGS")


@dataclass(frozen=True)
class CandidateArtist:
    name: str
    musicbrainz_id: str | None = None
    discogs_id: str | None = None
    join_phrase: str = ""


@dataclass(frozen=True)
class CandidateTrack:
    disc: int
    position: int
    title: str
    length_ms: int | None = None
    isrc: str | None = None
    recording_id: str | None = None
    # The source's own label for the position ("A1", "2-03"), shown next to ours.
    number: str | None = None

    @property
    def key(self) -> str:
        return f"{self.disc}-{self.position}"


@dataclass(frozen=True)
class Candidate:
    source: str
    external_id: str
    title: str
    artist_credit: str = ""
    release_date: str | None = None
    # The release group's first release: what a streaming service usually calls the date.
    first_release_date: str | None = None
    country: str | None = None
    barcode: str | None = None
    label: str | None = None
    catalog_number: str | None = None
    release_type: str | None = None
    status: str | None = None
    cover_url: str | None = None
    url: str | None = None
    artists: tuple[CandidateArtist, ...] = ()
    tracks: tuple[CandidateTrack, ...] = ()
    # A search hit may only know how many tracks there are; a lookup knows them all.
    track_count: int | None = None
    musicbrainz_id: str | None = None
    discogs_id: str | None = None
    # Other sources merged into this one (a Discogs release with the same barcode).
    also: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown candidate source {self.source!r}")

    @property
    def key(self) -> str:
        """Stable id across requests: `musicbrainz:<mbid>` or `discogs:<id>`."""
        return f"{self.source.lower()}:{self.external_id}"

    @property
    def sources(self) -> list[str]:
        return [self.source, *[s for s in self.also if s != self.source]]

    @property
    def known_track_count(self) -> int | None:
        return len(self.tracks) if self.tracks else self.track_count

    @property
    def discs(self) -> int:
        return len({t.disc for t in self.tracks}) or 1

    @property
    def duration_ms(self) -> int | None:
        lengths = [t.length_ms for t in self.tracks]
        if not lengths or any(length is None for length in lengths):
            return None
        return sum(length for length in lengths if length is not None)


def merge(primary: Candidate, other: Candidate) -> Candidate:
    """One candidate carrying both ids; the primary's values win, the other's fill its gaps."""
    filled = {
        name: getattr(other, name)
        for name in (
            "release_date",
            "country",
            "barcode",
            "label",
            "catalog_number",
            "release_type",
            "status",
            "cover_url",
            "musicbrainz_id",
            "discogs_id",
        )
        if getattr(primary, name) in (None, "") and getattr(other, name) not in (None, "")
    }
    if not primary.tracks and other.tracks:
        filled["tracks"] = other.tracks
    if primary.track_count is None and other.track_count is not None:
        filled["track_count"] = other.track_count
    also = tuple(dict.fromkeys([*primary.also, other.source, *other.also]))
    return replace(primary, **filled, also=tuple(s for s in also if s != primary.source))
