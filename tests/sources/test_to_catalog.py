"""Source records become the catalog's AlbumInput / TrackInput / ArtistInput."""

from __future__ import annotations

from app.catalog.from_upstream import album_from_musicbrainz, album_from_spotify
from app.sources.musicbrainz import MusicBrainzClient
from app.sources.spotify import SpotifyClient


async def test_musicbrainz_release_as_album(settings) -> None:
    release = await MusicBrainzClient(settings).release("94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032")
    album = album_from_musicbrainz(release, cover_art_url="https://example.org/front.jpg")

    assert (album.title, album.release_date, album.release_type, album.release_status) == (
        "+",
        "2011-09-09",
        "album",
        "Official",
    )
    assert (album.release_country, album.barcode, album.label, album.catalog_number) == (
        "XE",
        "5052498646524",
        "Asylum Records",
        "5052498646524",
    )
    assert (album.track_count, album.musicbrainz_id, album.cover_art_url) == (
        12,
        "94ad3a58-a1cc-46a3-acf4-9cb6c1d6f032",
        "https://example.org/front.jpg",
    )
    assert [(a.name, a.musicbrainz_id) for a in album.artists] == [
        ("Ed Sheeran", "b8a7c51f-362c-4dcb-a259-bc6e0095f0a6")
    ]
    first = album.tracks[0]
    assert (first.title, first.track_number, first.disc_number, first.duration_ms, first.isrc) == (
        "The A Team",
        1,
        1,
        261000,
        "GBAHS1100095",
    )
    assert first.musicbrainz_id == "17eb8cd6-7bb0-4579-90af-dc38c1b3fc6a"
    assert first.artists[0].name == "Ed Sheeran"


async def test_compilation_with_two_discs_and_a_data_track(settings) -> None:
    release = await MusicBrainzClient(settings).release("b0644a90-7ea8-5470-9813-fd91066993ff")
    album = album_from_musicbrainz(release)

    assert (album.release_type, album.secondary_types, album.release_date) == (
        "compilation",
        ("compilation",),
        "2024-03",
    )
    assert album.track_count == 14 and len(album.tracks) == 14  # the data track is left out
    assert [(t.disc_number, t.track_number) for t in album.tracks][6:8] == [(1, 7), (2, 1)]
    assert album.duration_ms is None
    disco = album.tracks[10]
    assert [(a.name, a.join_phrase) for a in disco.artists] == [
        ("DJ Kōji", " feat. "),
        ("The Alpaca Collective", " & "),
        ("Zoë Kraft", ""),
    ]
    assert [a.name for a in album.artists] == ["Various Artists"]


async def test_year_only_release_without_barcode(settings) -> None:
    release = await MusicBrainzClient(settings).release("e47d04a4-7460-427d-a731-cc82386d85f1")
    album = album_from_musicbrainz(release)

    assert (album.release_date, album.release_type, album.barcode, album.catalog_number) == (
        "2001",
        "ep",
        None,
        "PMD002",
    )
    assert album.genres == ("electronic", "techno")


async def test_spotify_album_as_album(settings) -> None:
    album = album_from_spotify(await SpotifyClient(settings).album("10FLjwfpbxLmW8c25Xyc2N"))

    assert (album.title, album.release_type, album.release_date, album.barcode, album.label) == (
        "Die With A Smile",
        "single",
        "2024-08-16",
        "00602475093060",
        "Interscope",
    )
    assert album.spotify_id == "10FLjwfpbxLmW8c25Xyc2N" and album.track_count == 1
    assert album.cover_art_url == "https://i.scdn.co/image/ab67616d0000b27382ea2e9e1858aa012c57cd45"
    assert [(a.name, a.spotify_id, a.join_phrase) for a in album.artists] == [
        ("Lady Gaga", "1HY2Jd0NmPuamShAr6KMms", ", "),
        ("Bruno Mars", "0du5cEVh5yTK9QJze8zA0C", ""),
    ]
    (track,) = album.tracks
    assert (track.title, track.track_number, track.duration_ms, track.spotify_id) == (
        "Die With A Smile",
        1,
        251667,
        "2plbrEY59IikOBgBGLjaoe",
    )


async def test_trackless_spotify_album_keeps_its_stated_track_count(settings) -> None:
    album = album_from_spotify(await SpotifyClient(settings).album("0geTzdk2InlqIoB16fW9Nd"))

    assert (album.title, album.track_count, album.tracks) == ("Sneakin\u2019", 1, ())
