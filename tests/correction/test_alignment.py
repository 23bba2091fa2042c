"""Track alignment: position first, confirmed by title and length; moves are found by title."""

from __future__ import annotations

from app.correction.alignment import align
from app.correction.candidates import CandidateTrack
from tests.correction import payloads
from tests.correction.payloads import track


def _plus_tracks() -> tuple[CandidateTrack, ...]:
    return payloads.plus().tracks


def _as_album(tracks: tuple[CandidateTrack, ...] | list[CandidateTrack]) -> list[dict]:
    """The tracks as an album holds them, ids included (so only what differs shows as a change)."""
    return [
        track(t.disc, t.position, t.title, t.length_ms, isrc=t.isrc, musicbrainz_id=t.recording_id)
        for t in tracks
    ]


def _statuses(pairs) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.status for p in pairs]


def test_identical_tracklists_are_unchanged_apart_from_missing_ids() -> None:
    candidate = _plus_tracks()
    current = [
        track(t.disc, t.position, t.title, t.length_ms, isrc=t.isrc, musicbrainz_id=t.recording_id)
        for t in candidate
    ]
    pairs = align(current, candidate)
    assert _statuses(pairs) == ["unchanged"] * 12
    assert all(p.current is not None and p.current["title"] == p.proposed.title for p in pairs)  # type: ignore[union-attr]


def test_a_track_missing_on_the_album_is_added() -> None:
    candidate = _plus_tracks()
    # Track 5 never arrived; the rest kept their numbers.
    current = [t for t in _as_album(candidate) if t["track_number"] != 5]
    pairs = align(current, candidate)
    assert len(pairs) == 12
    added = [p for p in pairs if p.status == "added"]
    assert [(p.proposed.position, p.proposed.title) for p in added] == [(5, "Wake Me Up")]  # type: ignore[union-attr]
    assert added[0].changes["title"] == {"before": None, "after": "Wake Me Up"}
    assert pairs[4].status == "added"  # shown in its place, not at the end
    assert {p.status for p in pairs if p.status != "added"} == {"unchanged"}


def test_a_missing_track_with_the_rest_renumbered_pairs_by_title() -> None:
    candidate = _plus_tracks()
    kept = [t for t in candidate if t.position != 5]
    current = [track(1, i, t.title, t.length_ms) for i, t in enumerate(kept, start=1)]
    pairs = align(current, candidate)
    assert [p.proposed.title for p in pairs if p.status == "added"] == ["Wake Me Up"]  # type: ignore[union-attr]
    moved = [p for p in pairs if p.status == "changed" and "track_number" in p.changes]
    assert [(p.changes["track_number"]["before"], p.changes["track_number"]["after"]) for p in moved] == [
        (n, n + 1) for n in range(5, 12)
    ]
    assert all(p.current["title"] == p.proposed.title for p in moved)  # type: ignore[index,union-attr]


def test_an_extra_bonus_track_on_the_album_is_removed_and_one_on_the_candidate_added() -> None:
    candidate = _plus_tracks()
    current = [*_as_album(candidate), track(1, 13, "Bonus Live Version", 301_000)]
    pairs = align(current, candidate)
    removed = [p for p in pairs if p.status == "removed"]
    assert [p.current["title"] for p in removed] == ["Bonus Live Version"]  # type: ignore[index]
    assert removed[0].changes["title"] == {"before": "Bonus Live Version", "after": None}
    assert pairs[-1].status == "removed"

    bonus = (*candidate, CandidateTrack(1, 13, "Autumn Leaves", 203_000))
    pairs = align(_as_album(candidate), bonus)
    assert [p.proposed.title for p in pairs if p.status == "added"] == ["Autumn Leaves"]  # type: ignore[union-attr]


def test_a_split_into_two_discs_moves_the_second_half() -> None:
    candidate = tuple(
        CandidateTrack(
            1 if t.position <= 6 else 2,
            t.position if t.position <= 6 else t.position - 6,
            t.title,
            t.length_ms,
        )
        for t in _plus_tracks()
    )
    current = _as_album(_plus_tracks())  # all twelve on disc 1
    pairs = align(current, candidate)
    assert len(pairs) == 12 and {p.status for p in pairs} <= {"unchanged", "changed"}
    for pair in pairs:
        assert pair.current["title"] == pair.proposed.title  # type: ignore[index,union-attr]
    seventh = next(p for p in pairs if p.current["title"] == "This")  # type: ignore[index]
    assert seventh.changes == {
        "disc_number": {"before": 1, "after": 2},
        "track_number": {"before": 7, "after": 1},
    }


def test_swapped_tracks_are_paired_by_title_not_by_slot() -> None:
    candidate = _plus_tracks()
    current = _as_album(candidate)
    current[2]["track_number"], current[3]["track_number"] = 4, 3  # U.N.I. and Grade 8 swapped
    pairs = align(current, candidate)
    changed = [p for p in pairs if p.status == "changed"]
    assert sorted(p.current["title"] for p in changed) == ["Grade 8", "U.N.I."]  # type: ignore[index]
    for pair in changed:
        assert pair.current["title"] == pair.proposed.title  # type: ignore[index,union-attr]
        assert set(pair.changes) == {"track_number"}


def test_placeholder_titles_in_the_same_slot_are_retitled_not_replaced() -> None:
    candidate = _plus_tracks()[:3]
    current = [track(1, n, f"Track {n}") for n in (1, 2, 3)]
    pairs = align(current, candidate)
    assert _statuses(pairs) == ["changed"] * 3
    assert pairs[0].changes["title"] == {"before": "Track 1", "after": "The A Team"}


def test_a_candidate_value_never_blanks_the_album() -> None:
    current = [track(1, 1, "Alarms", 317_933, isrc="USXXX9700001")]
    candidate = (CandidateTrack(1, 1, "Alarms", None),)
    (pair,) = align(current, candidate)
    assert pair.status == "unchanged"


def test_an_album_without_tracks_gets_every_track_added() -> None:
    pairs = align([], _plus_tracks())
    assert _statuses(pairs) == ["added"] * 12
    assert [p.key for p in pairs][:2] == ["new-1-1", "new-1-2"]
