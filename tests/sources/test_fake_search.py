"""The fake's searches match the way the real services' indexes do: on words, not on raw strings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.demo.fake_upstream import FakeUpstream

DIE_WITH_A_SMILE = "1a0713bc-7ebf-57aa-8d1e-1d07c8769aa2"
KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"
LLAMA_BEATS = "b0644a90-7ea8-5470-9813-fd91066993ff"


def mb_ids(fake: FakeUpstream, query: str) -> list[str]:
    response = httpx.get(f"{fake.url}/ws/2/release", params={"query": query, "fmt": "json"})
    assert response.status_code == 200
    return [hit["id"] for hit in response.json()["releases"]]


@pytest.mark.parametrize(
    "artist",
    [
        'artist:"Lady Gaga, Bruno Mars"',  # the credit as LlamaLog prefills it
        'artist:"Lady Gaga & Bruno Mars"',  # as printed on the release
        'artist:"lady gaga and bruno mars"',
        'artist:"Bruno Mars"',
        'artist:"Lady Gaga" AND artist:"Bruno Mars"',
    ],
)
def test_a_release_by_two_artists_is_found_by_either_way_of_writing_the_credit(
    fake: FakeUpstream, artist: str
) -> None:
    assert mb_ids(fake, f'release:"Die With A Smile" AND {artist}') == [DIE_WITH_A_SMILE]


@pytest.mark.parametrize(
    "query",
    [
        'release:"die with a smile" AND artist:"LADY GAGA"',  # case
        'release:"Die With A Smile!" AND artist:"Lady-Gaga"',  # punctuation
        'release:"Kát Mödà" AND artist:"Jéff Mílls"',  # diacritics
        'release:"llama beats vol 1"',  # the title's comma and full stop
    ],
)
def test_case_punctuation_and_diacritics_do_not_count(fake: FakeUpstream, query: str) -> None:
    assert len(ids := mb_ids(fake, query)) == 1
    assert ids[0] in (DIE_WITH_A_SMILE, KAT_MODA, LLAMA_BEATS)


def test_a_phrase_still_needs_its_words_in_order_and_every_clause_holds(fake: FakeUpstream) -> None:
    assert mb_ids(fake, 'release:"Smile With A Die"') == []
    assert mb_ids(fake, 'release:"Die With A Smile" AND artist:"Jeff Mills"') == []
    assert mb_ids(fake, 'release:"Die With A Smile" AND artist:"Lady Gaga" AND artist:"Jeff Mills"') == []


def test_a_whole_title_scores_higher_than_part_of_one(fake: FakeUpstream) -> None:
    hits: list[dict[str, Any]] = httpx.get(
        f"{fake.url}/ws/2/release", params={"query": 'release:"Llama Beats"', "fmt": "json"}
    ).json()["releases"]
    whole = httpx.get(
        f"{fake.url}/ws/2/release", params={"query": 'release:"Llama Beats, Vol. 1"', "fmt": "json"}
    ).json()["releases"]
    assert [h["score"] for h in hits] == [85] and [h["score"] for h in whole] == [100]


def test_discogs_search_ignores_case_and_punctuation_too(fake: FakeUpstream) -> None:
    response = httpx.get(
        f"{fake.url}/database/search",
        params={"release_title": "never gonna give you up!", "artist": "RICK ASTLEY", "type": "release"},
        headers={"Authorization": "Discogs token=demo"},
    )
    assert [hit["id"] for hit in response.json()["results"]] == [1503102]
