"""A malformed MusicBrainz id or link pasted into the fix search is named, not searched for."""

from __future__ import annotations

from typing import Any

import pytest

from app.correction.search import NotALookup, read_pasted
from tests.factories import manual_album
from tests.html_query import html


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("e47d04a4-7460-427d-a731-cc82386d85f", "not a MusicBrainz id"),  # a digit short
        ("e47d04a4-7460-427d-a731-cc82386d85fz", "not a MusicBrainz id"),
        ("e47d04a4-7460-427d-a731cc82386d85f1", "not a MusicBrainz id"),
        ("https://musicbrainz.org/release/e47d04a4-7460-427d", "not a MusicBrainz release link"),
        ("https://musicbrainz.org/artist/470a4ced-1323-4c91-8fd5-0bb3fb4c932a", "not a MusicBrainz release"),
        ("https://www.discogs.com/artist/3289-Rick-Astley", "not a Discogs release or master link"),
        ("https://example.org/release/79", "not a MusicBrainz or Discogs link"),
        ("musicbrainz.org/release/nope", "not a MusicBrainz release link"),
    ],
)
def test_a_malformed_id_or_link_is_named_as_such(text: str, says: str) -> None:
    with pytest.raises(NotALookup) as refused:
        read_pasted(text)
    assert str(refused.value).startswith(says)


@pytest.mark.parametrize("text", ["TDS 407", "PMD002", "AXIS-009", "CAT-2024-001-A", "SR 12-345"])
def test_catalog_numbers_with_dashes_are_still_catalog_numbers(text: str) -> None:
    pasted = read_pasted(text)
    assert pasted is not None and pasted.kind == "catno"


def test_an_mbid_without_its_dashes_is_read_as_one() -> None:
    pasted = read_pasted("E47D04A47460427DA731CC82386D85F1")
    assert pasted is not None
    assert (pasted.kind, pasted.value) == ("mbid", "e47d04a4-7460-427d-a731-cc82386d85f1")


async def test_the_fix_search_answers_422_naming_the_bad_id_and_asks_nobody(
    upstream: Any, client: Any
) -> None:
    album = await manual_album(title="Kat Moda", artist="Jeff Mills")
    response = client.get(
        f"/albums/{album.id}/fix/candidates", params={"q": "e47d04a4-7460-427d-a731-cc82386d85f"}
    )
    assert response.status_code == 422
    assert "not a MusicBrainz id" in html(response).text("#fix-step .flash.error")
    assert upstream.requests() == []  # not searched as a catalog number
