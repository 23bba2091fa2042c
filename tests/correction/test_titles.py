"""What the fix panel searches for: the release's own title and each credited artist."""

from __future__ import annotations

from typing import Any

import pytest

from app.correction import lookup
from app.correction.search import SearchQuery, find_candidates
from app.correction.titles import artist_names, search_title


@pytest.mark.parametrize(
    ("title", "searched"),
    [
        ("Remain in Light (Deluxe Version)", "Remain in Light"),
        ("Autobahn (2009 Remaster)", "Autobahn"),
        ("Smells Like Teen Spirit - Remastered 2011", "Smells Like Teen Spirit"),
        ("Sneakin’ (feat. 21 Savage)", "Sneakin’"),
        ("Live at Leeds (Deluxe Edition) [Remastered]", "Live at Leeds"),
        ("(What's the Story) Morning Glory?", "(What's the Story) Morning Glory?"),
        ("+", "+"),
        ("Help!", "Help!"),
    ],
)
def test_edition_words_are_dropped_and_the_title_itself_kept(title: str, searched: str) -> None:
    assert search_title(title) == searched


@pytest.mark.parametrize(
    ("credit", "names"),
    [
        ("Lady Gaga, Bruno Mars", ["Lady Gaga", "Bruno Mars"]),
        ("Lady Gaga & Bruno Mars", ["Lady Gaga", "Bruno Mars"]),
        ("Drake feat. 21 Savage", ["Drake", "21 Savage"]),
        ("AC/DC", ["AC/DC"]),
        ("", []),
    ],
)
def test_a_credit_is_searched_as_its_names(credit: str, names: list[str]) -> None:
    assert artist_names(credit) == names


async def test_die_with_a_smile_is_found_by_the_prefilled_title_and_both_artists(upstream: Any) -> None:
    lookup.forget()
    found = await find_candidates(SearchQuery(title="Die With A Smile", artist="Lady Gaga, Bruno Mars"))
    assert [c.key for c in found.candidates] == ["musicbrainz:1a0713bc-7ebf-57aa-8d1e-1d07c8769aa2"]
    assert found.notes == []
