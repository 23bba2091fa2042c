"""Spotify: recorded payloads parse; the token is fetched once and reused until it expires."""

from __future__ import annotations

import pytest

from app.demo.fake_upstream import DEMO_CREDENTIALS, FakeUpstream, Fault
from app.sources.errors import SourceDisabled
from app.sources.spotify import SpotifyClient

YEEZUS = "7D2NdGvBHIavgLhmcwhluK"
DIE_WITH_A_SMILE = "10FLjwfpbxLmW8c25Xyc2N"
LLAMA_BEATS = "4xPWcpUoKteVg8a1q8CJ55"
KAT_MODA = "YTgiLpQ8TUpjNsqpgsb90o"


async def test_album_yeezus(settings) -> None:
    album = await SpotifyClient(settings).album(YEEZUS)

    assert (album.title, album.album_type, album.release_date, album.total_tracks) == (
        "Yeezus",
        "album",
        "2013-06-18",
        10,
    )
    assert (album.upc, album.label) == ("00602537439263", "Rock The World/IDJ/Kanye/LP6")
    assert [(a.id, a.name) for a in album.artists] == [("5K4W6rqBFWDnAN6FQUkS6x", "Kanye West")]
    assert album.image_url == "https://i.scdn.co/image/ab67616d0000b2731dacfbc31cc873d132958af9"
    assert len(album.tracks) == 10
    assert [t.track_number for t in album.tracks] == list(range(1, 11))
    assert {t.disc_number for t in album.tracks} == {1}
    first = album.tracks[0]
    assert (first.title, first.duration_ms, first.explicit) == ("On Sight", 156480, True)
    assert (album.tracks[-1].title, album.tracks[-1].duration_ms) == ("Bound 2", 229146)
    assert album.tracks[0].id == "1gqkRc9WtOpnGIqxf2Hvzr"
    assert album.tracks[0].preview_url.startswith("https://p.scdn.co/mp3-preview/")
    assert album.duration_ms == sum(t.duration_ms or 0 for t in album.tracks)


async def test_album_die_with_a_smile_two_artists(settings) -> None:
    album = await SpotifyClient(settings).album(DIE_WITH_A_SMILE)

    assert (album.title, album.album_type, album.release_date, album.release_date_precision) == (
        "Die With A Smile",
        "single",
        "2024-08-16",
        "day",
    )
    assert [a.name for a in album.artists] == ["Lady Gaga", "Bruno Mars"]
    assert (album.upc, album.label, album.total_tracks) == ("00602475093060", "Interscope", 1)
    (track,) = album.tracks
    assert (track.title, track.duration_ms, track.explicit, track.preview_url) == (
        "Die With A Smile",
        251667,
        False,
        None,
    )
    assert [a.id for a in track.artists] == ["1HY2Jd0NmPuamShAr6KMms", "0du5cEVh5yTK9QJze8zA0C"]


async def test_new_releases_recorded_listing(settings) -> None:
    page = await SpotifyClient(settings).new_releases(country="SE")

    assert (page.total, page.limit, page.offset) == (500, 20, 0)
    # The recorded `next` is absolute (api.spotify.com): it is kept as a path for the configured base URL.
    assert page.next == "/v1/browse/new-releases?country=SE&offset=20&limit=20"
    assert [(a.id, a.title, a.album_type) for a in page.items] == [
        ("5ZX4m5aVSmWQ5iHAPQpT71", "Runnin'", "single"),
        ("0geTzdk2InlqIoB16fW9Nd", "Sneakin\u2019", "single"),
    ]
    # The older item shape has no release date or track total.
    assert [(a.release_date, a.total_tracks, a.tracks) for a in page.items] == [(None, None, ())] * 2
    assert page.items[1].artists[0].name == "Drake"


async def test_demo_listing_and_trackless_albums(settings) -> None:
    client = SpotifyClient(settings)
    albums = await client.all_new_releases()

    assert len(albums) == 13
    assert albums[0].title == "Die With A Smile"
    # Spotify's "0000" placeholder is no date at all.
    autobahn = await client.album("xgflI1eAVblwC0Jelfj505")
    assert (autobahn.title, autobahn.release_date) == ("Autobahn (2009 Remaster)", None)
    kat_moda = await client.album(KAT_MODA)
    assert (kat_moda.total_tracks, kat_moda.tracks, kat_moda.release_date) == (3, (), "1997")
    assert await client.album_tracks(KAT_MODA) == ()


async def test_track_listing_paged_with_next(settings, fake: FakeUpstream) -> None:
    client = SpotifyClient(settings)
    album = await client.album(LLAMA_BEATS)
    tracks = await client.album_tracks(LLAMA_BEATS)

    assert album.release_date == "2024-03"  # precision "month"
    assert len(album.tracks) == 14 and tracks == album.tracks
    assert [(t.disc_number, t.track_number) for t in tracks][6:8] == [(1, 7), (2, 1)]
    assert tracks[-1].title == "Outro (Goodnight, Llamas)"
    pages = [r.query for r in fake.requests("spotify") if r.path.endswith("/tracks")]
    assert "offset=10&limit=10" in pages


async def test_search(settings) -> None:
    page = await SpotifyClient(settings).find_albums("Yeezus", "Kanye West")

    assert [a.id for a in page.items] == [YEEZUS]
    assert page.items[0].tracks == ()


async def test_token_is_cached_until_it_expires(settings, fake: FakeUpstream) -> None:
    now = [1000.0]
    client = SpotifyClient(settings, clock=lambda: now[0])
    await client.album(YEEZUS)
    await client.album(DIE_WITH_A_SMILE)
    await client.search("album:Yeezus")

    (token_request,) = fake.requests("spotify-accounts")
    assert token_request.method == "POST"
    assert token_request.authorization.startswith("Basic ")
    assert all(r.authorization.startswith("Bearer taHZ2SdB") for r in fake.requests("spotify"))

    now[0] += 3600  # expires_in 3600
    await client.album(YEEZUS)
    assert len(fake.requests("spotify-accounts")) == 2


async def test_a_refused_token_is_renewed_once(settings, fake: FakeUpstream) -> None:
    client = SpotifyClient(settings)
    await client.album(YEEZUS)
    fake.script("/v1/albums/", Fault(status=401))
    album = await client.album(YEEZUS)

    assert album.title == "Yeezus"
    assert len(fake.requests("spotify-accounts")) == 2


async def test_disabled_without_credentials(fake: FakeUpstream) -> None:
    client = SpotifyClient(fake.settings(credentials=False, spotify_client_id="", spotify_client_secret=""))

    assert client.enabled is False
    status = client.status()
    assert (status.name, status.enabled) == ("SPOTIFY", False)
    assert "SPOTIFY_CLIENT_ID" in status.reason
    with pytest.raises(SourceDisabled) as caught:
        await client.new_releases()
    assert caught.value.error_code == "SOURCE_DISABLED" and not caught.value.retryable
    assert fake.requests() == []
    assert SpotifyClient(fake.settings(spotify_client_id=DEMO_CREDENTIALS["SPOTIFY_CLIENT_ID"])).enabled


async def test_following_the_recorded_next_link_ends(settings, fake: FakeUpstream) -> None:
    albums = await SpotifyClient(settings).all_new_releases(country="SE")

    assert [a.id for a in albums] == ["5ZX4m5aVSmWQ5iHAPQpT71", "0geTzdk2InlqIoB16fW9Nd"]
    pages = [r.query for r in fake.requests("spotify")]
    assert len(pages) == 2 and "offset=20" in pages[1]
