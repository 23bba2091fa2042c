"""The score ranks the right release first and explains every point."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.correction.scoring import WEIGHTS, rank, score
from tests.correction import payloads
from tests.correction.payloads import album, track


def _breakdown_adds_up(result) -> None:  # type: ignore[no-untyped-def]
    assert 0 <= result.total <= 100
    assert sum(c.points for c in result.components) == result.total
    assert [c.key for c in result.components] == list(WEIGHTS)
    for component in result.components:
        assert 0 <= component.points <= component.weight
        assert component.explanation


def test_weights_are_one_table_adding_up_to_100() -> None:
    assert sum(WEIGHTS.values()) == 100


def test_right_release_of_plus_ranks_first_and_a_deluxe_edition_below() -> None:
    right = payloads.plus()
    deluxe = payloads.deluxe(right, 4, barcode="5052498646531", release_date="2011-12-05")
    other_artist = replace(right, artist_credit="Plus Band", external_id="x", musicbrainz_id=None)
    # A Spotify-synced album whose tracks failed: title, artist, date and the claimed track count.
    synced = album("+", "Ed Sheeran", release_date="2011-09-09", track_count=12, release_type="album")
    ranked = rank(synced, [deluxe, other_artist, right])
    assert [c.key for c, _ in ranked][0] == right.key
    assert ranked[1][0].key == deluxe.key
    for _, result in ranked:
        _breakdown_adds_up(result)
    scores = {c.key: s for c, s in ranked}
    assert scores[right.key].total > scores[deluxe.key].total
    track_count = {c.key: c for c in scores[deluxe.key].components}["track_count"]
    assert track_count.points == 0 and "16 tracks vs 12" in track_count.explanation


def test_tracks_on_file_make_durations_count() -> None:
    right = payloads.plus()
    tracks = [track(1, t.position, t.title, (t.length_ms or 0) + 900) for t in right.tracks]
    current = album("+", "Ed Sheeran", track_count=12, tracks=tracks)
    fewer = payloads.deluxe(right, -2)
    ranked = rank(current, [fewer, right])
    assert ranked[0][0].key == right.key
    durations = {c.key: c for c in ranked[0][1].components}["durations"]
    assert durations.points == WEIGHTS["durations"]
    assert durations.explanation == "12 of 12 paired tracks within 3 s"
    for _, result in ranked:
        _breakdown_adds_up(result)


def test_kat_moda_search_hit_and_lookup_rank_above_a_vinyl_edition() -> None:
    lookup, hit = payloads.kat_moda(), payloads.kat_moda_hit()
    vinyl = payloads.deluxe(lookup, 1, release_date="1997", country="US", catalog_number="AX-087")
    current = album(
        "Kat Moda",
        "Jeff Mills",
        release_type="ep",
        track_count=3,
        catalog_number="PMD002",
        label="Purpose Maker",
    )
    ranked = rank(current, [vinyl, hit, lookup])
    assert {ranked[0][0].key, ranked[1][0].key} == {lookup.key}
    assert ranked[2][0].key == vinyl.key
    for _, result in ranked:
        _breakdown_adds_up(result)
    parts = {c.key: c for c in ranked[0][1].components}
    assert parts["label_catno"].points == WEIGHTS["label_catno"]
    assert parts["release_type"].points == WEIGHTS["release_type"]


def test_discogs_single_ranks_above_a_two_track_edition() -> None:
    right = payloads.never_gonna()
    seven_inch = payloads.deluxe(right, -1, catalog_number="PB 41447")
    current = album(
        "Never Gonna Give You Up",
        "Rick Astley",
        release_date="1987",
        track_count=3,
        catalog_number="TDS-407",
        tracks=[track(1, 1, "Never Gonna Give You Up (Cake Mix)", 348_500)],
    )
    ranked = rank(current, [seven_inch, right])
    assert ranked[0][0].key == right.key
    for _, result in ranked:
        _breakdown_adds_up(result)


def test_missing_data_on_either_side_is_neutral() -> None:
    candidate = replace(payloads.plus(), barcode=None, country=None)
    result = score(album("+", "Ed Sheeran"), candidate)
    parts = {c.key: c for c in result.components}
    for key in ("barcode", "country", "release_date", "durations", "track_count", "label_catno"):
        assert parts[key].fraction is None
        assert parts[key].points == WEIGHTS[key] // 2
        assert parts[key].explanation.endswith(": neutral")
    _breakdown_adds_up(result)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Beyoncé feat. Jay-Z", "Beyonce"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("AC/DC", "ac dc"),
    ],
)
def test_artist_folding_ignores_feat_diacritics_and_punctuation(ours: str, theirs: str) -> None:
    candidate = replace(payloads.plus(), artist_credit=theirs)
    parts = {c.key: c for c in score(album("+", ours), candidate).components}
    assert parts["artist"].points == WEIGHTS["artist"]
    assert parts["artist"].explanation == "identical"


def test_mismatches_score_zero_with_reasons() -> None:
    current = album(
        "Something Else",
        "Nobody",
        release_date="1970",
        barcode="0000000000017",
        release_country="JP",
        release_type="single",
        track_count=1,
    )
    result = score(current, payloads.plus())
    parts = {c.key: c for c in result.components}
    assert parts["barcode"].points == 0 and "vs" in parts["barcode"].explanation
    assert parts["release_date"].points == 0 and "41 years apart" in parts["release_date"].explanation
    assert parts["country"].points == 0
    assert parts["release_type"].points == 0
    assert result.total < 30
    _breakdown_adds_up(result)


def test_barcode_ignores_leading_zeros() -> None:
    candidate = replace(payloads.plus(), barcode="5052498646524")
    parts = {
        c.key: c for c in score(album("+", "Ed Sheeran", barcode="05052498646524"), candidate).components
    }
    assert parts["barcode"].points == WEIGHTS["barcode"]
