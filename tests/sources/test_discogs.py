"""Discogs: recorded release, master and search parse; the token goes in the Authorization header."""

from __future__ import annotations

import pytest

from app.demo.fake_upstream import FakeUpstream
from app.sources.discogs import DiscogsClient, duration_ms
from app.sources.errors import SourceDisabled


async def test_release_never_gonna_give_you_up(settings, fake: FakeUpstream) -> None:
    release = await DiscogsClient(settings).release(1503102)

    assert (release.id, release.title, release.year, release.released) == (
        1503102,
        "Never Gonna Give You Up",
        1987,
        "1987",
    )
    assert release.country == "Australia & New Zealand"
    assert [(a.id, a.name) for a in release.artists] == [(72872, "Rick Astley")]
    assert [(lbl.name, lbl.catalog_number) for lbl in release.labels] == [("RCA Victor", "TDS 407")]
    assert [(t.position, t.title, t.duration_ms) for t in release.tracks] == [
        ("A", "Never Gonna Give You Up (Cake Mix)", 348000),
        ("B1", "Never Gonna Give You Up (Instrumental)", 381000),
        ("B2", "Never Gonna Give You Up", 212000),
    ]
    assert release.formats == ("Vinyl",)
    assert (release.genres, release.styles) == (("Electronic", "Pop"), ("Synth-pop",))
    assert release.master_id == 96559 and release.barcode is None
    assert release.image_url is not None and "R-1503102" not in release.image_url  # the primary image
    (request,) = fake.requests("discogs")
    assert request.authorization == f"Discogs token={settings.discogs_token}"
    assert request.user_agent.startswith("LlamaLog/")


async def test_master_city_of_islands_unicode(settings) -> None:
    master = await DiscogsClient(settings).master(4242)

    assert (master.title, master.year, master.main_release_id) == ("City Of Islands", 1998, 79)
    assert [a.name for a in master.artists] == ["Persuader, The"]
    assert [(t.position, t.title, t.duration_ms) for t in master.tracks] == [
        ("A1", "Djurgårdsbron", 312000),
        ("A2", "Centralbron", 260000),
        ("B1", "Strömsbron", 287000),
        ("B2", "Kungsbron", 282000),
    ]
    assert master.styles == ("Deep House", "Tech House")


async def test_recorded_search(settings) -> None:
    page = await DiscogsClient(settings).search("trash80", type="")

    assert (page.total, page.page, page.pages) == (13, 1, 1)
    assert [r.type for r in page.items].count("artist") == 1
    icarus = page.items[1]
    assert (icarus.id, icarus.title, icarus.year, icarus.label, icarus.catalog_number) == (
        1743771,
        "Trash80 - Icarus",
        2008,
        "8bitpeoples",
        "8BP086",
    )
    assert icarus.formats == ("CDr",) and icarus.styles == ("Electro", "Chiptune")
    larry = next(r for r in page.items if r.id == 2674683)
    assert larry.year is None  # no year in the hit


async def test_search_by_artist_and_title(settings) -> None:
    page = await DiscogsClient(settings).search(artist="Rick Astley", title="Never Gonna Give You Up")

    assert [(r.id, r.type, r.label) for r in page.items] == [(1503102, "release", "RCA Victor")]


def test_durations() -> None:
    assert [duration_ms(v) for v in ("5:12", "1:02:03", "", None, "?")] == [312000, 3723000, None, None, None]


async def test_disabled_without_token(fake: FakeUpstream) -> None:
    client = DiscogsClient(fake.settings(credentials=False, discogs_token=""))

    assert not client.enabled and not client.status().enabled
    with pytest.raises(SourceDisabled):
        await client.search("trash80")
    assert fake.requests() == []
