"""An explainable 0–100 score: how well a candidate release fits the album.

Weights (they add up to 100; each component earns `round(weight × fraction)` points):

| component    | weight | full points when                       | partial points                      |
|--------------|-------:|----------------------------------------|-------------------------------------|
| title        |     24 | folded titles are equal                | similarity ratio, word order free   |
| artist       |     20 | folded credits equal (`feat.` dropped) | similarity ratio                    |
| release_date |     10 | dates agree to the shared precision    | first release 90%, same year 70%,   |
|              |        |                                        | one year apart 30%                  |
| track_count  |     10 | same number of tracks                  | off by one 40%                      |
| durations    |     12 | paired tracks within 3 s (else total)  | linear to 0 at 15 s, averaged       |
| barcode      |     10 | same digits (leading zeros ignored)    | —                                   |
| label_catno  |      6 | same catalog number                    | same label only 50%                 |
| country      |      4 | same country code                      | —                                   |
| release_type |      4 | same type (album, single, ep, …)       | ep vs single 50%                    |

Folding (app.catalog.names.fold): case, diacritics, punctuation and `&`/"and" never count; the
artist also drops `feat. …`. Missing data on either side is neutral: the component earns half its
weight, so a gap neither rewards nor punishes a candidate. The breakdown sums exactly to the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from app.catalog.names import fold
from app.catalog.rows import AlbumRow
from app.correction.alignment import align
from app.correction.candidates import Candidate
from app.correction.current import CurrentAlbum
from app.correction.similarity import duration_closeness, text_similarity

WEIGHTS: dict[str, int] = {
    "title": 24,
    "artist": 20,
    "release_date": 10,
    "track_count": 10,
    "durations": 12,
    "barcode": 10,
    "label_catno": 6,
    "country": 4,
    "release_type": 4,
}
LABELS = {
    "title": "Title",
    "artist": "Artist",
    "release_date": "Release date",
    "track_count": "Track count",
    "durations": "Track lengths",
    "barcode": "Barcode",
    "label_catno": "Label / cat. no.",
    "country": "Country",
    "release_type": "Release type",
}
ORIGINAL_DATE = 0.9  # the album's date is the release group's first release, not this edition's
assert sum(WEIGHTS.values()) == 100 and all(w % 2 == 0 for w in WEIGHTS.values())


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    weight: int
    points: int
    fraction: float | None  # None: data missing on a side, scored neutral
    explanation: str
    # The raw values compared, as shown: the album's and the candidate's.
    ours: str | None = None
    theirs: str | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.points / self.weight) if self.weight else 0


@dataclass(frozen=True)
class Score:
    total: int
    components: tuple[Component, ...]

    def as_dict(self) -> dict[str, object]:
        """For the log row's metadata."""
        return {"total": self.total, "components": [asdict(c) for c in self.components]}


def points_for(weight: int, fraction: float | None) -> int:
    """Half the weight when data is missing (neutral), else `round(weight × fraction)`."""
    if fraction is None:
        return weight // 2
    return round(weight * max(0.0, min(1.0, fraction)))


def _component(key: str, fraction: float | None, explanation: str) -> Component:
    weight = WEIGHTS[key]
    if fraction is None:
        explanation = f"{explanation}: neutral"
    return Component(key, LABELS[key], weight, points_for(weight, fraction), fraction, explanation)


def _percent(fraction: float) -> str:
    return "identical" if fraction >= 1.0 else f"{round(100 * fraction)}% alike"


def _text(key: str, ours: str | None, theirs: str | None, *, drop_featuring: bool = False) -> Component:
    fraction = text_similarity(ours, theirs, drop_featuring=drop_featuring)
    if fraction is None:
        side = "album" if not (ours or "").strip() else "candidate"
        return _component(key, None, f"no {LABELS[key].lower()} on the {side}")
    return _component(key, fraction, _percent(fraction))


def _missing(ours: object, theirs: object, what: str) -> str | None:
    if ours in (None, "") and theirs in (None, ""):
        return f"no {what} on either side"
    if ours in (None, ""):
        return f"album has no {what}"
    if theirs in (None, ""):
        return f"candidate has no {what}"
    return None


def _date_match(ours: str, theirs: str) -> tuple[float, str]:
    mine, other = ours.split("-"), theirs.split("-")
    common = min(len(mine), len(other))
    if mine[:common] == other[:common]:
        return 1.0, f"both {theirs}" if ours == theirs else f"{theirs} agrees with {ours}"
    years = abs(int(mine[0]) - int(other[0]))
    if years == 0:
        return 0.7, f"same year, {theirs} vs {ours}"
    if years == 1:
        return 0.3, f"one year apart, {theirs} vs {ours}"
    return 0.0, f"{years} years apart, {theirs} vs {ours}"


def _release_date(ours: str | None, theirs: str | None, original: str | None) -> Component:
    gap = _missing(ours, theirs, "release date")
    if gap or ours is None or theirs is None:
        return _component("release_date", None, gap or "")
    fraction, explanation = _date_match(ours, theirs)
    if fraction < 1.0 and original:
        # Streaming services date an album by its first release, not by this edition.
        first, _ = _date_match(ours, original)
        if first >= 1.0:
            return _component("release_date", ORIGINAL_DATE, f"{ours} is the first release ({original})")
    return _component("release_date", fraction, explanation)


def _track_count(ours: int | None, theirs: int | None) -> Component:
    gap = _missing(ours, theirs, "track count")
    if gap or ours is None or theirs is None:
        return _component("track_count", None, gap or "")
    if ours == theirs:
        return _component("track_count", 1.0, f"{theirs} tracks on both")
    if abs(ours - theirs) == 1:
        return _component("track_count", 0.4, f"{theirs} tracks vs {ours}")
    return _component("track_count", 0.0, f"{theirs} tracks vs {ours}")


def _durations(album: CurrentAlbum, candidate: Candidate) -> Component:
    if album.tracks and candidate.tracks:
        closeness = [
            c
            for pair in align(album.tracks, candidate.tracks)
            if pair.current is not None and pair.proposed is not None
            for c in [duration_closeness(pair.current.get("duration_ms"), pair.proposed.length_ms)]
            if c is not None
        ]
        if closeness:
            fraction = sum(closeness) / len(closeness)
            close = sum(1 for c in closeness if c >= 1.0)
            return _component("durations", fraction, f"{close} of {len(closeness)} paired tracks within 3 s")
    total = duration_closeness(album.row.get("duration_ms"), candidate.duration_ms)
    if total is not None:
        return _component("durations", total, "total length " + ("matches" if total >= 1 else "differs"))
    side = "album" if not album.tracks and not album.row.get("duration_ms") else "candidate"
    return _component("durations", None, f"no track lengths on the {side}")


def _digits(barcode: str | None) -> str:
    return "".join(ch for ch in barcode or "" if ch.isdigit()).lstrip("0")


def _barcode(ours: str | None, theirs: str | None) -> Component:
    gap = _missing(_digits(ours), _digits(theirs), "barcode")
    if gap:
        return _component("barcode", None, gap)
    if _digits(ours) == _digits(theirs):
        return _component("barcode", 1.0, f"both {theirs}")
    return _component("barcode", 0.0, f"{theirs} vs {ours}")


def _catno(value: str | None) -> str:
    return fold(value or "").replace(" ", "")


def _label_catno(row: AlbumRow, candidate: Candidate) -> Component:
    label = text_similarity(row.get("label"), candidate.label, drop_featuring=False)
    same_label = label is not None and label >= 0.85
    ours, theirs = _catno(row.get("catalog_number")), _catno(candidate.catalog_number)
    if ours and theirs:
        if ours == theirs:
            return _component("label_catno", 1.0, f"catalog number {candidate.catalog_number} on both")
        if same_label:
            return _component("label_catno", 0.5, "same label, other catalog number")
        return _component(
            "label_catno", 0.0, f"catalog number {candidate.catalog_number} vs {row['catalog_number']}"
        )
    if label is not None:
        return _component(
            "label_catno", 0.5 if same_label else 0.0, "same label" if same_label else "other label"
        )
    return _component("label_catno", None, _missing(row.get("label"), candidate.label, "label") or "")


def _exact(key: str, ours: str | None, theirs: str | None, what: str) -> Component:
    gap = _missing(ours, theirs, what)
    if gap or ours is None or theirs is None:
        return _component(key, None, gap or "")
    if ours.casefold() == theirs.casefold():
        return _component(key, 1.0, f"both {theirs}")
    return _component(key, 0.0, f"{theirs} vs {ours}")


def _release_type(ours: str | None, theirs: str | None) -> Component:
    found = _exact("release_type", ours, theirs, "release type")
    if found.fraction == 0.0 and {(ours or "").lower(), (theirs or "").lower()} == {"ep", "single"}:
        return _component("release_type", 0.5, f"{theirs} vs {ours} (Spotify files EPs as singles)")
    return found


def _shown(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _length(ms: int | None) -> str | None:
    if not ms:
        return None
    seconds = int(ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def raw_values(album: CurrentAlbum, candidate: Candidate) -> dict[str, tuple[str | None, str | None]]:
    """Per component, the album's and the candidate's value as compared (for "why this match")."""
    row = album.row
    ours_label = " ".join(v for v in (row.get("label"), row.get("catalog_number")) if v) or None
    theirs_label = " ".join(v for v in (candidate.label, candidate.catalog_number) if v) or None
    album_length = row.get("duration_ms") or sum(int(t.get("duration_ms") or 0) for t in album.tracks)
    return {
        "title": (_shown(row.get("title")), _shown(candidate.title)),
        "artist": (_shown(album.artist_credit), _shown(candidate.artist_credit)),
        "release_date": (_shown(row.get("release_date")), _shown(candidate.release_date)),
        "track_count": (_shown(album.track_count), _shown(candidate.known_track_count)),
        "durations": (_length(album_length), _length(candidate.duration_ms)),
        "barcode": (_shown(row.get("barcode")), _shown(candidate.barcode)),
        "label_catno": (ours_label, theirs_label),
        "country": (_shown(row.get("release_country")), _shown(candidate.country)),
        "release_type": (_shown(row.get("release_type")), _shown(candidate.release_type)),
    }


def reweigh(components: tuple[Component, ...], weights: Mapping[str, int] | None) -> Score:
    """The same fractions under other weights (the tunable matching settings)."""
    if weights is not None:
        components = tuple(
            replace(c, weight=weights[c.key], points=points_for(weights[c.key], c.fraction))
            for c in components
        )
    return Score(total=sum(c.points for c in components), components=components)


def score(album: CurrentAlbum, candidate: Candidate, weights: Mapping[str, int] | None = None) -> Score:
    """Score a candidate against the album (default WEIGHTS, or `weights`); each component explains."""
    return reweigh(_components(album, candidate), weights)


def _components(album: CurrentAlbum, candidate: Candidate) -> tuple[Component, ...]:
    row = album.row
    components = (
        _text("title", row.get("title"), candidate.title),
        _text("artist", album.artist_credit, candidate.artist_credit, drop_featuring=True),
        _release_date(row.get("release_date"), candidate.release_date, candidate.first_release_date),
        _track_count(album.track_count, candidate.known_track_count),
        _durations(album, candidate),
        _barcode(row.get("barcode"), candidate.barcode),
        _label_catno(row, candidate),
        _exact("country", row.get("release_country"), candidate.country, "country"),
        _release_type(row.get("release_type"), candidate.release_type),
    )
    raw = raw_values(album, candidate)
    return tuple(replace(c, ours=raw[c.key][0], theirs=raw[c.key][1]) for c in components)


def rank(
    album: CurrentAlbum, candidates: list[Candidate], weights: Mapping[str, int] | None = None
) -> list[tuple[Candidate, Score]]:
    """Best first; ties keep the search order."""
    scored = [(candidate, score(album, candidate, weights)) for candidate in candidates]
    return sorted(scored, key=lambda item: -item[1].total)


def score_from_dict(data: Mapping[str, Any]) -> Score:
    """A Score stored by `as_dict` (the candidate table, a log row's metadata)."""
    fields = set(Component.__dataclass_fields__)
    components = tuple(
        Component(**{k: v for k, v in c.items() if k in fields}) for c in data.get("components") or ()
    )
    return Score(total=int(data.get("total") or 0), components=components)


@dataclass(frozen=True)
class Loss:
    """Where the runner-up earned fewer points than the top candidate."""

    key: str
    label: str
    top_points: int
    points: int
    explanation: str

    @property
    def lost(self) -> int:
        return self.top_points - self.points


def lost_against(top: Score, runner_up: Score) -> list[Loss]:
    """The components where `runner_up` lost points against `top`, the biggest loss first."""
    by_key = {c.key: c for c in top.components}
    losses = [
        Loss(c.key, c.label, by_key[c.key].points, c.points, c.explanation)
        for c in runner_up.components
        if c.key in by_key and c.points < by_key[c.key].points
    ]
    return sorted(losses, key=lambda loss: -loss.lost)
