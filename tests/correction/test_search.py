"""What a pasted string names, how candidates merge, and searches against the fake upstream."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.correction import lookup
from app.correction.candidates import Candidate
from app.correction.search import SearchQuery, find_candidates, merge_candidates, read_pasted
from tests.correction import payloads


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("e47d04a4-7460-427d-a731-cc82386d85f1", "mbid", "e47d04a4-7460-427d-a731-cc82386d85f1"),
        (
            " https://musicbrainz.org/release/E47D04A4-7460-427D-A731-CC82386D85F1/discids ",
            "mbid",
            "e47d04a4-7460-427d-a731-cc82386d85f1",
        ),
        (
            "https://www.discogs.com/release/1503102-Rick-Astley-Never-Gonna-Give-You-Up",
            "discogs_release",
            "1503102",
        ),
        ("https://www.discogs.com/master/4242-The-Persuader-City-Of-Islands", "discogs_master", "4242"),
        ("https://www.discogs.com/fr/release/79", "discogs_release", "79"),
        ("[r1503102]", "discogs_release", "1503102"),
        ("discogs:79", "discogs_release", "79"),
        ("5 052498 646524", "barcode", "5052498646524"),
        ("720642442524", "barcode", "720642442524"),
        ("TDS 407", "catno", "TDS 407"),
        ("PMD002", "catno", "PMD002"),
    ],
)
def test_pasted_text_names_a_lookup(text: str, kind: str, value: str) -> None:
    pasted = read_pasted(text)
    assert pasted is not None and (pasted.kind, pasted.value) == (kind, value)


def test_blank_paste_names_nothing() -> None:
    assert read_pasted("   ") is None


def _hit(candidate: Candidate) -> Candidate:
    return replace(candidate, tracks=(), track_count=len(candidate.tracks))


def test_the_same_release_twice_is_one_candidate_with_its_tracks() -> None:
    full = payloads.kat_moda()
    merged = merge_candidates([_hit(full), full, payloads.kat_moda_hit()])
    assert len(merged) == 1
    assert len(merged[0].tracks) == 3


def test_a_discogs_release_with_the_same_barcode_joins_the_musicbrainz_one() -> None:
    plus = payloads.plus()
    discogs = replace(payloads.never_gonna(), barcode="5052498646524", title="+", artist_credit="Ed Sheeran")
    other = replace(payloads.never_gonna(), external_id="249504", discogs_id="249504")
    merged = merge_candidates([plus, discogs, other])
    assert [c.key for c in merged] == [plus.key, other.key]
    both = merged[0]
    assert both.musicbrainz_id == payloads.ED_SHEERAN_PLUS and both.discogs_id == "1503102"
    assert both.sources == ["MUSICBRAINZ", "DISCOGS"]
    assert both.label == "Asylum Records"  # MusicBrainz leads; Discogs only fills gaps


async def test_a_barcode_search_finds_the_release(upstream: Any) -> None:
    lookup.forget()
    outcome = await find_candidates(SearchQuery(pasted="720642442524"))
    assert [c.key for c in outcome.candidates] == ["musicbrainz:76df3287-6cda-33eb-8e9a-044b5e15ffdd"]
    assert outcome.notes == []


async def test_an_unknown_mbid_is_a_note(upstream: Any) -> None:
    lookup.forget()
    outcome = await find_candidates(SearchQuery(pasted="00000000-0000-0000-0000-000000000000"))
    assert outcome.candidates == []
    assert outcome.notes == ["MusicBrainz: not found"]


async def test_a_failing_source_is_a_note_and_the_other_still_answers(upstream: Any) -> None:
    from app.demo.fake_upstream import Fault

    lookup.forget()
    upstream.script("/database/search", always=Fault(status=503))
    outcome = await find_candidates(SearchQuery(title="Nevermind", artist="Nirvana"))
    assert len(outcome.candidates) == 2
    assert len(outcome.notes) == 1 and outcome.notes[0].startswith("Discogs:")


async def test_a_master_url_resolves_to_its_main_release(upstream: Any) -> None:
    lookup.forget()
    outcome = await find_candidates(SearchQuery(pasted="https://www.discogs.com/master/4242"))
    # The recorded master names release 79, which the fake does not hold: a note, not a crash.
    assert outcome.candidates == [] and outcome.notes == ["Discogs: not found"]
