"""Side by side: the album now and what a candidate would make of it, with the default picks.

Defaults: take a field the album has empty, keep a locked field, never blank a value the candidate
lacks; take added tracks and changed tracks whose changes only fill gaps; never remove a track
unless the admin ticks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.catalog.rows import TrackRow, field_value
from app.catalog.validation import ValidationError, clean_album_fields
from app.correction.alignment import TrackPair, align
from app.correction.candidates import Candidate
from app.correction.current import CurrentAlbum
from app.correction.scoring import Score, score

# Album column → (label, candidate attribute).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("title", "Title", "title"),
    ("release_date", "Release date", "release_date"),
    ("release_type", "Release type", "release_type"),
    ("release_status", "Status", "status"),
    ("release_country", "Country", "country"),
    ("track_count", "Track count", "known_track_count"),
    ("barcode", "Barcode", "barcode"),
    ("label", "Label", "label"),
    ("catalog_number", "Catalog number", "catalog_number"),
    ("cover_art_url", "Cover art", "cover_url"),
    ("musicbrainz_id", "MusicBrainz ID", "musicbrainz_id"),
    ("discogs_id", "Discogs ID", "discogs_id"),
)
FIELD_NAMES = tuple(name for name, _, _ in FIELDS)


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    current: Any
    proposed: Any
    status: str  # same | fill | change | keep (candidate has nothing) | invalid
    locked: bool
    take: bool
    error: str | None = None

    @property
    def takeable(self) -> bool:
        return self.status in ("fill", "change")


@dataclass(frozen=True)
class Preview:
    album: CurrentAlbum
    candidate: Candidate
    score: Score
    fields: tuple[FieldDiff, ...]
    tracks: tuple[TrackPair, ...]
    take_tracks: frozenset[str]

    @property
    def take_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.take)

    def counts(self) -> dict[str, int]:
        result = {status: 0 for status in ("added", "removed", "changed", "unchanged")}
        for pair in self.tracks:
            result[pair.status] += 1
        return result


def _empty(value: object) -> bool:
    return value in (None, "", [], ())


def field_diff(name: str, label: str, current: Any, raw: Any, locked: bool) -> FieldDiff:
    if _empty(raw):
        return FieldDiff(name, label, current, None, "keep", locked, False)
    try:
        proposed = field_value(clean_album_fields({name: raw}), name)
    except ValidationError as exc:
        return FieldDiff(name, label, current, raw, "invalid", locked, False, exc.errors.get(name))
    if proposed == current:
        return FieldDiff(name, label, current, proposed, "same", locked, False)
    status = "fill" if _empty(current) else "change"
    return FieldDiff(name, label, current, proposed, status, locked, status == "fill" and not locked)


def _slot(values: TrackRow) -> tuple[int, int]:
    return values.get("disc_number") or 1, values.get("track_number")


def layout_clashes(
    pairs: tuple[TrackPair, ...] | list[TrackPair], take: frozenset[str] | set[str]
) -> list[str]:
    """Slots two tracks would share after taking `take`: the database would refuse them."""
    seen: dict[tuple[int, int], str] = {}
    clashes: list[str] = []
    for pair in pairs:
        taken = pair.key in take
        if pair.status == "removed" and taken:
            continue
        if pair.status == "added" and not taken:
            continue
        if pair.current is not None and not (taken and pair.proposed is not None):
            slot = _slot(pair.current)
            title = pair.current["title"]
        else:
            assert pair.proposed is not None
            slot = (pair.proposed.disc, pair.proposed.position)
            title = pair.proposed.title
        if slot in seen:
            clashes.append(f"disc {slot[0]} track {slot[1]}: “{seen[slot]}” and “{title}”")
        else:
            seen[slot] = title
    return clashes


def default_tracks(pairs: list[TrackPair]) -> frozenset[str]:
    """Added tracks and gap-filling changes, skipping any pick that would collide with a kept track."""
    take: set[str] = set()
    for pair in pairs:
        if pair.status == "added" or (pair.status == "changed" and pair.fills_gaps_only):
            take.add(pair.key)
            if layout_clashes(pairs, take):
                take.discard(pair.key)
    return frozenset(take)


def build_preview(
    album: CurrentAlbum,
    candidate: Candidate,
    candidate_score: Score | None = None,
    weights: Mapping[str, int] | None = None,
) -> Preview:
    """Every field and every track, current next to proposed, with the default picks."""
    fields = tuple(
        field_diff(name, label, album.row.get(name), getattr(candidate, attr), name in album.locked)
        for name, label, attr in FIELDS
    )
    pairs = align(album.tracks, candidate.tracks)
    return Preview(
        album=album,
        candidate=candidate,
        score=candidate_score or score(album, candidate, weights),
        fields=fields,
        tracks=tuple(pairs),
        take_tracks=default_tracks(pairs),
    )
