"""Pair the album's tracks with a candidate's: by position, confirmed by title and duration.

Identity first (same recording MBID or ISRC), then the best-scoring pairs greedily, so a track
that moved (swapped, renumbered, split onto a second disc) is paired by its title and length, not
by the slot it sits in. What stays unpaired is added (candidate only) or removed (album only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.catalog.rows import FieldChanges, FieldValue, TrackRow, field_value
from app.correction.candidates import CandidateTrack
from app.correction.similarity import duration_closeness, text_similarity

# A pair below this is two different tracks.
PAIR_THRESHOLD = 0.5
STATUSES = ("added", "removed", "changed", "unchanged")


@dataclass(frozen=True)
class TrackPair:
    current: TrackRow | None
    proposed: CandidateTrack | None
    status: str
    changes: FieldChanges = field(default_factory=dict)
    match: float | None = None

    @property
    def key(self) -> str:
        """Names the row in the form: the album track's id, or `new-<disc>-<pos>` for an added one."""
        if self.current is not None:
            return str(self.current["id"])
        assert self.proposed is not None
        return f"new-{self.proposed.key}"

    @property
    def fills_gaps_only(self) -> bool:
        """Every change puts a value where the album had none."""
        return all(change["before"] in (None, "") for change in self.changes.values())


def proposed_values(track: CandidateTrack) -> dict[str, FieldValue]:
    """The candidate's values under the Track column names; unknown values are left out."""
    values: dict[str, FieldValue] = {
        "title": track.title.strip(),  # fitted to its column with the candidate (correction/fitted.py)
        "disc_number": track.disc,
        "track_number": track.position,
        "duration_ms": track.length_ms,
        "isrc": track.isrc if track.isrc and len(track.isrc) == 12 else None,
        "musicbrainz_id": track.recording_id,
    }
    return {k: v for k, v in values.items() if v not in (None, "")}


def track_changes(current: TrackRow, proposed: CandidateTrack) -> FieldChanges:
    """Per-field before/after; a value the candidate lacks never blanks the album's."""
    return {
        name: {"before": field_value(current, name), "after": value}
        for name, value in proposed_values(proposed).items()
        if current.get(name) != value
    }


def _position(track: TrackRow) -> tuple[int, int]:
    return int(track.get("disc_number") or 1), int(track["track_number"])


def _pair_score(cur: TrackRow, cur_index: int, cand: CandidateTrack, cand_index: int) -> float:
    title = text_similarity(cur.get("title"), cand.title) or 0.0
    if _position(cur) == (cand.disc, cand.position):
        slot = 1.0
    elif cur_index == cand_index:
        slot = 0.6  # same place in the running order, numbered differently (e.g. split discs)
    else:
        slot = 0.0
    length = duration_closeness(cur.get("duration_ms"), cand.length_ms)
    if length is None:
        return 0.7 * title + 0.3 * slot
    return 0.55 * title + 0.25 * length + 0.2 * slot


def _same_identity(cur: TrackRow, cand: CandidateTrack) -> bool:
    if cur.get("musicbrainz_id") and cand.recording_id:
        return str(cur["musicbrainz_id"]).lower() == cand.recording_id.lower()
    if cur.get("isrc") and cand.isrc:
        return str(cur["isrc"]).upper() == cand.isrc.upper()
    return False


def align(
    current: list[TrackRow] | tuple[TrackRow, ...],
    proposed: list[CandidateTrack] | tuple[CandidateTrack, ...],
) -> list[TrackPair]:
    """Every album track and every candidate track exactly once, in the candidate's order."""
    cur = sorted(current, key=_position)
    cand = sorted(proposed, key=lambda t: (t.disc, t.position))
    pairs: dict[int, tuple[int, float]] = {}  # current index -> (candidate index, match)
    taken: set[int] = set()

    for i, track in enumerate(cur):
        for j, other in enumerate(cand):
            if j not in taken and _same_identity(track, other):
                pairs[i] = (j, 1.0)
                taken.add(j)
                break

    scored = sorted(
        (
            (-_pair_score(track, i, other, j), i, j)
            for i, track in enumerate(cur)
            if i not in pairs
            for j, other in enumerate(cand)
            if j not in taken
        ),
    )
    for negative, i, j in scored:
        if -negative < PAIR_THRESHOLD:
            break
        if i in pairs or j in taken:
            continue
        pairs[i] = (j, round(-negative, 3))
        taken.add(j)

    # Leftovers in the same slot whose lengths do not disagree are one track retitled.
    for i, track in enumerate(cur):
        if i in pairs:
            continue
        for j, other in enumerate(cand):
            if j in taken or _position(track) != (other.disc, other.position):
                continue
            length = duration_closeness(track.get("duration_ms"), other.length_ms)
            if length is None or length >= 0.5:
                pairs[i] = (j, round(_pair_score(track, i, other, j), 3))
                taken.add(j)
            break

    result: list[tuple[tuple[int, int, int], TrackPair]] = []
    for i, (j, match) in pairs.items():
        changes = track_changes(cur[i], cand[j])
        status = "changed" if changes else "unchanged"
        sort_key = (cand[j].disc, cand[j].position, 0)
        result.append((sort_key, TrackPair(cur[i], cand[j], status, changes, match)))
    for j, other in enumerate(cand):
        if j not in taken:
            added: FieldChanges = {k: {"before": None, "after": v} for k, v in proposed_values(other).items()}
            result.append(((other.disc, other.position, 0), TrackPair(None, other, "added", added)))
    for i, track in enumerate(cur):
        if i not in pairs:
            removed: FieldChanges = {
                k: {"before": field_value(track, k), "after": None}
                for k in ("title", "disc_number", "track_number", "duration_ms", "isrc", "musicbrainz_id")
                if track.get(k) not in (None, "")
            }
            result.append(((*_position(track), 1), TrackPair(track, None, "removed", removed)))
    return [pair for _, pair in sorted(result, key=lambda item: item[0])]
