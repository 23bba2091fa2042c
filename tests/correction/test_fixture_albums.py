"""The demo's albums, stored as the Spotify sync stores them, against the recorded MusicBrainz releases."""

from __future__ import annotations

from app.correction.current import load_current
from app.correction.scoring import WEIGHTS, rank
from tests.correction import payloads

NEVERMIND = "release-76df3287-nevermind-12-tracks"
NEVERMIND_DELUXE = "release-c8e4e798-nevermind-deluxe-2-discs-wrong-edition"


async def test_nevermind_ranks_the_12_track_release_above_the_2_disc_deluxe() -> None:
    created = await payloads.spotify_album("album-rp939yaauRq24DQAUDWpxT-nevermind")
    album = await load_current(created.id)
    right, deluxe = payloads.mb_release(NEVERMIND), payloads.mb_release(NEVERMIND_DELUXE)
    ranked = rank(album, [deluxe, right])
    assert [c.key for c, _ in ranked] == [right.key, deluxe.key]
    best, wrong = ranked[0][1], ranked[1][1]
    assert best.total >= 90 and wrong.total < best.total - 20
    parts = {c.key: c for c in best.components}
    assert parts["barcode"].points == WEIGHTS["barcode"]  # Spotify's UPC 00720642442524 = MB's 720642442524
    assert parts["durations"].points == WEIGHTS["durations"]
    assert {c.key: c for c in wrong.components}["track_count"].explanation == "16 tracks vs 12"
    for _, result in ranked:
        assert sum(c.points for c in result.components) == result.total


async def test_trackless_kat_moda_matches_its_release() -> None:
    created = await payloads.spotify_album("album-YTgiLpQ8TUpjNsqpgsb90o-kat-moda-trackless")
    album = await load_current(created.id)
    assert album.tracks == ()
    right = payloads.kat_moda()
    other = payloads.mb_release("release-41de9b81-city-of-islands-1998")
    ranked = rank(album, [other, right, payloads.mb_release(NEVERMIND)])
    assert ranked[0][0].key == right.key
    parts = {c.key: c for c in ranked[0][1].components}
    assert parts["track_count"].points == WEIGHTS["track_count"]
    assert parts["label_catno"].explanation == "same label"
    assert parts["durations"].fraction is None  # nothing to compare on a trackless album: neutral
