"""MusicBrainz: every recorded payload parses into the right records."""

from __future__ import annotations

import app
from app.demo.fake_upstream import FakeUpstream
from app.sources.musicbrainz import RELEASE_INC, MusicBrainzClient
from tests.sources.conftest import serving

ED_SHEERAN = "b8a7c51f-362c-4dcb-a259-bc6e0095f0a6"
PLUS = "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032"
KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"
LLAMA_BEATS = "b0644a90-7ea8-5470-9813-fd91066993ff"
NEVERMIND_DELUXE = "c8e4e798-1704-5873-afcb-32f0ec54c07e"


async def test_release_lookup_ed_sheeran_plus(settings, fake: FakeUpstream) -> None:
    release = await MusicBrainzClient(settings).release(PLUS)

    assert (release.title, release.date) == ("+", "2011-09-09")
    assert (release.country, release.status) == ("XE", "Official")
    assert release.barcode == "5052498646524"
    assert release.packaging == "Jewel Case"
    assert release.track_count == 12 and release.disc_count == 1
    assert [t.position for t in release.tracks] == list(range(1, 13))
    assert {t.disc for t in release.tracks} == {1}
    first, last = release.tracks[0], release.tracks[-1]
    assert (first.title, first.number) == ("The A Team", "1")
    assert (first.length_ms, first.isrcs) == (261000, ("GBAHS1100095",))
    assert first.recording_id == "17eb8cd6-7bb0-4579-90af-dc38c1b3fc6a"
    assert (last.title, last.length_ms, last.isrcs) == ("Give Me Love", 526000, ("GBAHS1100209",))
    assert release.tracks[9].title == "You Need Me, I Don't Need You"
    assert all(len(t.isrcs) == 1 for t in release.tracks)
    assert release.duration_ms == sum(t.length_ms or 0 for t in release.tracks)
    assert [(c.name, c.artist_id, c.sort_name) for c in release.artist_credits] == [
        ("Ed Sheeran", ED_SHEERAN, "Sheeran, Ed")
    ]
    assert release.tracks[0].artist_phrase == "Ed Sheeran"
    assert [(lbl.name, lbl.catalog_number) for lbl in release.labels] == [("Asylum Records", "5052498646524")]
    group = release.release_group
    assert group is not None
    assert (group.id, group.primary_type, group.first_release_date) == (
        "05ce100c-eddf-4967-8d7e-33fc0883fe39",
        "Album",
        "2011-09-09",
    )
    # The request is the documented lookup, with the contact in the User-Agent.
    (request,) = fake.requests("musicbrainz")
    assert request.path == f"/ws/2/release/{PLUS}"
    assert request.query == f"inc={RELEASE_INC}&fmt=json"
    assert request.user_agent == f"LlamaLog/{app.__version__} ( {settings.musicbrainz_contact} )"


async def test_release_lookup_kat_moda_digital_year_only(settings) -> None:
    release = await MusicBrainzClient(settings).release(KAT_MODA)

    assert (release.title, release.date, release.country, release.barcode) == ("Kat Moda", "2001", "XW", None)
    assert release.media[0].format == "Digital Media"
    assert [(t.position, t.title, t.length_ms) for t in release.tracks] == [
        (1, "Alarms", 317933),
        (2, "The Bells", 292880),
        (3, "The Bells (Festival mix)", 606866),
    ]
    assert all(t.isrcs == () for t in release.tracks)
    assert release.artist_phrase == "Jeff Mills"
    assert release.release_group is not None
    assert (release.release_group.primary_type, release.release_group.first_release_date) == ("EP", "1997")
    assert release.genres == ("electronic", "techno")  # from the release group: the release has none
    assert [(lbl.name, lbl.catalog_number) for lbl in release.labels] == [("Purpose Maker", "PMD002")]


async def test_recorded_search_payload() -> None:
    client = MusicBrainzClient(
        transport=serving({"/ws/2/release": "musicbrainz/search-release-kat-moda.json"})
    )
    page = await client.search_releases('release:"Kat Moda"')

    assert (page.count, page.offset, len(page.releases)) == (1757033, 0, 1)
    hit = page.releases[0]
    assert (hit.id, hit.score, hit.title, hit.track_count) == (KAT_MODA, 100, "Kat Moda", 3)
    assert hit.date is None  # "" in the payload
    assert hit.tracks == () and hit.media[0].track_count == 3
    # Search hits carry no joinphrase at all.
    assert [(c.name, c.join_phrase) for c in hit.artist_credits] == [("Jeff Mills", "")]
    assert [(lbl.name, lbl.catalog_number) for lbl in hit.labels] == [("Purpose Maker", "PMD002")]


async def test_search_by_title_and_artist_through_the_fake(settings, fake: FakeUpstream) -> None:
    client = MusicBrainzClient(settings)
    plus = await client.find_releases("+", "Ed Sheeran")
    nevermind = await client.find_releases("Nevermind", "Nirvana")
    nothing = await client.find_releases("Yeezus", "Kanye West")

    assert [r.id for r in plus.releases] == [PLUS]
    assert plus.releases[0].track_count == 12
    assert [(r.track_count, r.disc_count) for r in nevermind.releases] == [(12, 1), (16, 2)]
    assert nothing.count == 0 and nothing.releases == ()
    queries = [r.query for r in fake.requests("musicbrainz")]
    assert "query=release%3A%22%2B%22+AND+artist%3A%22Ed+Sheeran%22" in queries[0]


async def test_new_releases_date_window(settings) -> None:
    page = await MusicBrainzClient(settings).new_releases("2024-01-01", "2024-12-31")

    assert {r.title for r in page.releases} == {"Die With A Smile", "Llama Beats, Vol. 1"}
    assert {r.date for r in page.releases} == {"2024-08-16", "2024-03"}


async def test_multi_disc_data_track_missing_length_and_various_artists(settings) -> None:
    release = await MusicBrainzClient(settings).release(LLAMA_BEATS)

    assert release.date == "2024-03"
    assert release.disc_count == 2 and release.track_count == 14
    assert [(m.position, m.title, len(m.tracks), m.track_count) for m in release.media] == [
        (1, "Sunrise", 7, 7),
        (2, "Sunset", 7, 8),
    ]
    (data,) = release.media[1].data_tracks
    assert (data.is_data, data.disc, data.position, data.length_ms) == (True, 2, 8, None)
    assert data not in release.tracks
    assert [(t.disc, t.position) for t in release.tracks][6:8] == [(1, 7), (2, 1)]
    lullaby = release.tracks[4]
    assert (lullaby.title, lullaby.length_ms) == ("Cria Lullaby", None)
    assert release.duration_ms is None  # one length unknown
    assert release.artist_phrase == "Various Artists"
    assert release.tracks[3].title == "夜明けのラマ"
    assert release.tracks[3].artist_phrase == "山田春香 & DJ Kōji"
    disco = release.tracks[10]
    assert disco.artist_phrase == "DJ Kōji feat. The Alpaca Collective & Zoë Kraft"
    assert [c.join_phrase for c in disco.artist_credits] == [" feat. ", " & ", ""]
    assert release.release_group is not None and release.release_group.secondary_types == ("Compilation",)


async def test_two_disc_edition(settings) -> None:
    release = await MusicBrainzClient(settings).release(NEVERMIND_DELUXE)

    assert release.disambiguation == "20th anniversary deluxe edition"
    assert [len(m.tracks) for m in release.media] == [12, 4]
    assert release.tracks[12].disc == 2 and release.tracks[12].position == 1


async def test_artist_lookup_and_unknown_ids(settings) -> None:
    client = MusicBrainzClient(settings)
    artist = await client.artist(ED_SHEERAN)

    assert (artist.name, artist.sort_name, artist.type, artist.disambiguation) == (
        "Ed Sheeran",
        "Sheeran, Ed",
        "Person",
        "UK singer-songwriter",
    )
