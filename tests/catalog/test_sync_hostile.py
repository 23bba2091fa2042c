"""One hostile album in a listing never sinks the sync: it is cleaned and kept, or refused alone.

The fake upstream serves a listing of four albums where album 2 carries the hostile payload (a NUL,
a 600-character title, a 100-character id, a MusicBrainz id that is not a UUID, ...). Albums 1, 3
and 4 are imported whatever album 2 holds; album 2 is imported cleaned or is one FAILED row with
the reason; a second run does the same without duplicates. Postgres is where NUL and over-long
strings used to fail the whole run (CharacterNotInRepertoire, StringDataRightTruncation).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.catalog.sync import sync_musicbrainz, sync_spotify
from app.catalog.tables import Album, Artist, Track
from app.column_fit import MARK, TEXT_MAX_BYTES
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.catalog.hostile import musicbrainz_root, serving, spotify_root

WIDE_TITLE = "長い題名 " * 120  # 600 characters, 1,560 bytes in UTF-8
WIDE_LABEL = "Label & Sons " * 46 + "Ltd"  # 601 characters
WIDE_NAME = "Ensemble " * 67  # 603 characters
HUGE_TITLE = "ẞ" * 5000  # 15,000 bytes: past what the indexed title column keeps


def _none(data: dict[str, Any]) -> None:
    return None


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.update(values)


def _first_track_id(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["tracks"]["items"][0].update(id=value)


def _wide_everything(data: dict[str, Any]) -> None:
    data.update(name=WIDE_TITLE, label=WIDE_LABEL)
    data["artists"][0]["name"] = WIDE_NAME


async def _run(sync: Callable[[], Any]) -> Any:
    with job_scope(JobContext.new_root(triggered_by="scheduled")):
        return await sync()


async def _failed_rows() -> list[dict[str, Any]]:
    return await LlamaLog.select().where(LlamaLog.category == "FAILED").order_by(LlamaLog.id)


# --- Spotify -----------------------------------------------------------------------------------

KEPT = [
    pytest.param(_none, _set(name="Yee\x00zus\x07\x1b"), "Yeezus", id="nul-and-controls-in-title"),
    pytest.param(_none, _wide_everything, WIDE_TITLE.strip(), id="600-char-title-label-artist"),
    pytest.param(_none, _set(name=HUGE_TITLE), None, id="title-past-the-text-cap"),
    # The listing entry cannot be read, but its id is good: the full lookup decides.
    pytest.param(_set(artists=5, name=None), _none, "Yeezus", id="unreadable-listing-entry-good-id"),
]


@pytest.mark.parametrize(("edit_listed", "edit_full", "title"), KEPT)
async def test_a_hostile_spotify_album_is_cleaned_and_imported_with_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit_listed: Any, edit_full: Any, title: str | None
) -> None:
    albums = spotify_root(tmp_path, edit_listed, edit_full)
    with serving(tmp_path, monkeypatch):
        first = await _run(sync_spotify)
        assert (len(first.created), first.failed) == (4, 0)
        stored = (
            await Album.select(Album.title, Album.label).where(Album.spotify_id == albums[1]["id"]).first()
        )
        assert stored is not None
        if title is not None:
            assert stored["title"] == title
        else:  # clipped where the column's cap is, with the marker
            assert stored["title"].endswith(MARK) and len(stored["title"].encode()) <= TEXT_MAX_BYTES
        if edit_full is _wide_everything:
            assert stored["label"] == WIDE_LABEL
            assert await Artist.count().where(Artist.name == WIDE_NAME.strip()) == 1
        assert await _failed_rows() == []
        second = await _run(sync_spotify)
    assert (second.created, second.skipped, second.failed) == ([], 4, 0)
    assert await Album.count() == 4


async def test_an_album_image_inside_the_network_is_not_kept_as_its_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    internal = [{"url": "http://169.254.169.254/latest/meta-data/", "width": 640, "height": 640}]
    albums = spotify_root(tmp_path, _none, _set(images=internal))
    with serving(tmp_path, monkeypatch):
        result = await _run(sync_spotify)
    assert (len(result.created), result.failed) == (4, 0)
    covers = {
        a["spotify_id"]: a["cover_art_url"] for a in await Album.select(Album.spotify_id, Album.cover_art_url)
    }
    assert covers[albums[1]["id"]] is None
    assert covers[albums[0]["id"]] is not None and covers[albums[0]["id"]].startswith("https://i.scdn.co/")


REFUSED = [
    pytest.param(_set(id="A" * 100), _none, "INVALID_RECORD", "album id", id="100-char-id"),
    pytest.param(_set(id="7D2NdGvBHIavgLhmcwhluK\x00"), _none, "INVALID_RECORD", "album id", id="nul-in-id"),
    pytest.param(
        _none, _first_track_id("../../etc"), "INVALID_RECORD", "track id", id="track-id-not-spotify"
    ),
    pytest.param(_none, _set(name="\x00\x01 "), "INVALID_RECORD", "no title", id="title-only-controls"),
    pytest.param(
        _set(id=12345, artists=5), _none, "INVALID_RECORD", "album id", id="unreadable-listing-entry"
    ),
    # The lookup 404s and the listed title is 600 characters: the FAILED row itself used to fail.
    pytest.param(
        _set(id="ZZZZZZZZZZZZZZZZZZZZZZ", name=WIDE_TITLE),
        _none,
        "NOT_FOUND",
        "404",
        id="404-with-600-char-title",
    ),
]


@pytest.mark.parametrize(("edit_listed", "edit_full", "code", "says"), REFUSED)
async def test_a_refused_spotify_album_is_one_failed_row_and_the_sync_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit_listed: Any, edit_full: Any, code: str, says: str
) -> None:
    albums = spotify_root(tmp_path, edit_listed, edit_full)
    others = {albums[n]["id"] for n in (0, 2, 3)}
    with serving(tmp_path, monkeypatch):
        first = await _run(sync_spotify)
        assert (len(first.created), first.failed) == (3, 1)
        assert {a["spotify_id"] for a in await Album.select(Album.spotify_id)} == others
        (failed,) = await _failed_rows()
        assert failed["operation"] == "album:failed:spotify-sync" and failed["status"] == "FAILED"
        assert failed["error_code"] == code and says in failed["error_message"]
        assert failed["entity_label"] and "\x00" not in failed["entity_label"]
        assert len(failed["entity_label"]) <= LlamaLog.entity_label.length
        second = await _run(sync_spotify)
    assert (second.created, second.skipped, second.failed) == ([], 3, 1)
    assert await Album.count() == 3 and len(await _failed_rows()) == 2
    assert await Track.count() == await LlamaLog.count().where(
        LlamaLog.operation == "track:created:spotify-sync"
    )


# --- MusicBrainz -------------------------------------------------------------------------------


def _artist_id(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda hit: hit["artist-credit"][0]["artist"].update(id=value)


MB_CASES = [
    pytest.param(_set(id="not-a-uuid-" + "x" * 89), "INVALID_RECORD", id="release-id-not-a-uuid"),
    pytest.param(_artist_id("1234"), "INVALID_RECORD", id="artist-id-not-a-uuid"),
    pytest.param(_set(media="not a list"), "INVALID_RECORD", id="unreadable-search-hit"),
    pytest.param(_set(title=WIDE_TITLE), None, id="600-char-title"),
    pytest.param(_set(title="Kat\x00 Moda\u0000 2", country="X\x00W"), None, id="nul-in-title-and-country"),
]


@pytest.mark.parametrize(("edit", "code"), MB_CASES)
async def test_a_hostile_musicbrainz_release_never_sinks_the_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Any, code: str | None
) -> None:
    hits = musicbrainz_root(tmp_path, edit)
    with serving(tmp_path, monkeypatch):
        first = await _run(sync_musicbrainz)
        second = await _run(sync_musicbrainz)
    stored = {a["musicbrainz_id"]: a["title"] for a in await Album.select(Album.musicbrainz_id, Album.title)}
    assert {hits[n]["id"] for n in (0, 2, 3)} <= stored.keys()
    if code is None:
        assert (len(first.created), first.failed) == (4, 0)
        assert "\x00" not in stored[hits[1]["id"]] and stored[hits[1]["id"]].strip()
        assert (second.created, second.skipped) == ([], 4)
        assert await _failed_rows() == []
    else:
        assert (len(first.created), first.failed) == (3, 1)
        assert (second.created, second.skipped, second.failed) == ([], 3, 1)
        rows = await _failed_rows()
        assert [r["error_code"] for r in rows] == [code, code]
        assert rows[0]["entity_label"] == hits[1]["title"]
    assert await Album.count() == len(stored)


async def test_a_hostile_artist_lookup_is_fitted_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.catalog.artist_enrich import enrich_artist
    from app.catalog.artists import find_or_create_artist
    from app.catalog.records import ArtistInput

    mbid = "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
    (tmp_path / "musicbrainz").mkdir()
    hostile = {
        "id": mbid,
        "name": "Queen",
        "sort-name": "Queen\x00",
        "country": "G\x00B",
        "disambiguation": "x" * 900,
    }
    (tmp_path / "musicbrainz" / "artist-queen.json").write_text(json.dumps(hostile))
    with job_scope(JobContext.new_root()):
        linked = await find_or_create_artist(
            ArtistInput(name="Queen", musicbrainz_id=mbid), operation_path="test", sources=["USER"]
        )
    with serving(tmp_path, monkeypatch), job_scope(JobContext.new_root()):
        assert await enrich_artist(linked.id) == "SUCCESS"
    artist = await Artist.select().where(Artist.id == linked.id).first()
    assert artist is not None and (artist["sort_name"], artist["country"]) == ("Queen", "GB")
    assert len(artist["disambiguation"]) == Artist.disambiguation.length and artist[
        "disambiguation"
    ].endswith(MARK)


async def test_an_unforeseen_database_refusal_of_one_album_is_one_failed_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write the edge did not foresee failing (here: the album insert of album 2 raising a
    driver error) still costs that album only."""
    from app.catalog import sync

    albums = spotify_root(tmp_path, _none, _none)
    real = sync.create_album

    async def refusing(album: Any, **kwargs: Any) -> Any:
        if album.spotify_id == albums[1]["id"]:
            raise RuntimeError("value out of range for the driver")
        return await real(album, **kwargs)

    monkeypatch.setattr(sync, "create_album", refusing)
    with serving(tmp_path, monkeypatch):
        result = await _run(sync_spotify)
    assert (len(result.created), result.failed) == (3, 1)
    (failed,) = await _failed_rows()
    assert failed["error_code"] == "IMPORT_FAILED" and "RuntimeError" in failed["error_message"]
    assert failed["entity_label"] == albums[1]["name"]
