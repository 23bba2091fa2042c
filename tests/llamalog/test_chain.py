"""The chain of an entity: its rows and its artists' and tracks' rows, keyset-paged, filtered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.catalog.albums import update_album
from app.catalog.tables import Artist
from app.llamalog.chain import chain
from app.llamalog.filters import Cursor, FilterError
from app.llamalog.logger import record
from app.llamalog.tables import LlamaLog
from tests.factories import job_album, manual_album, tracklist


async def test_album_chain_holds_artist_and_track_rows_in_order() -> None:
    created, _ = await job_album(title="Chained", artist="Chain Artist", tracks=tracklist(3))
    await update_album(created.id, {"release_date": "2021"}, expected_version=1)
    await job_album(title="Other Album", artist="Someone Else")  # not in the chain
    page = await chain("ALBUM", created.id)
    ops = [r["operation"] for r in page.rows]
    assert ops == [
        "album:created:spotify-sync",
        "artist:created:spotify-sync",
        "track:created:spotify-sync",
        "track:created:spotify-sync",
        "track:created:spotify-sync",
        "album:corrected:admin",
    ]
    keys = [(r["created_at"], r["id"]) for r in page.rows]
    assert keys == sorted(keys)
    assert page.next_cursor is None


async def test_artist_chain_holds_its_rows_across_albums() -> None:
    await job_album(title="A1", artist="Shared Artist")
    await job_album(title="A2", artist="Shared Artist")
    artist = await Artist.select(Artist.id).first()
    page = await chain("ARTIST", artist["id"])
    assert [r["category"] for r in page.rows] == ["CREATED", "LINKED"]


async def test_category_filter_repeats() -> None:
    created = await manual_album(title="Filtered", tracks=tracklist(2))
    await update_album(created.id, {"title": "Filtered 2"}, expected_version=1)
    page = await chain("ALBUM", created.id, categories=["CORRECTED"])
    assert [r["category"] for r in page.rows] == ["CORRECTED"]
    page = await chain("album", created.id, categories=["CORRECTED", "CREATED"])
    assert len(page.rows) == 1 + 1 + 1 + 2  # album, artist, 2 tracks, correction


async def _rows_on_days(album_id: uuid.UUID, days: int) -> None:
    start = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc)
    for day in range(days):
        await record(
            entity_type="ALBUM",
            entity_id=album_id,
            operation="album:enriched:musicbrainz",
            created_at=start + dt.timedelta(days=day),
        )


async def test_since_until_window_is_half_open() -> None:
    album_id = uuid.uuid4()
    await _rows_on_days(album_id, 5)
    page = await chain(
        "ALBUM",
        album_id,
        since=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc),
        until=dt.datetime(2026, 1, 4, 12, tzinfo=dt.timezone.utc),
    )
    assert [r["created_at"].day for r in page.rows] == [2, 3]


async def test_cursor_pages_cover_everything_once() -> None:
    album_id = uuid.uuid4()
    await _rows_on_days(album_id, 7)
    seen: list[int] = []
    cursor: Any = None
    pages = 0
    while True:
        page = await chain("ALBUM", album_id, cursor=cursor, limit=3)
        seen.extend(r["id"] for r in page.rows)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor.encode()
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("size", [5, 60])
async def test_a_page_is_one_query_whatever_its_size(size: int, query_counter: dict[str, int]) -> None:
    album_id = uuid.uuid4()
    await _rows_on_days(album_id, size)
    query_counter["n"] = 0
    page = await chain("ALBUM", album_id, limit=min(size, 50))
    assert len(page.rows) == min(size, 50)
    assert query_counter["n"] == 1


async def test_bad_arguments_raise_filter_errors() -> None:
    with pytest.raises(FilterError, match="entity_type"):
        await chain("PLAYLIST", uuid.uuid4())
    with pytest.raises(FilterError, match="entity_id"):
        await chain("ALBUM", "not-a-uuid")
    with pytest.raises(FilterError, match="cursor"):
        await chain("ALBUM", uuid.uuid4(), cursor="garbage!!")
    with pytest.raises(FilterError, match="limit"):
        await chain("ALBUM", uuid.uuid4(), limit=501)
    with pytest.raises(FilterError, match="category"):
        await chain("ALBUM", uuid.uuid4(), categories=["EATEN"])


def test_cursor_round_trip() -> None:
    cursor = Cursor(dt.datetime(2026, 3, 1, 1, 2, 3, 456, tzinfo=dt.timezone.utc), 42)
    assert Cursor.decode(cursor.encode()) == cursor


async def test_rows_table_is_untouched_by_reads() -> None:
    await manual_album(title="Read Only")
    before = await LlamaLog.count()
    await chain("ALBUM", uuid.uuid4())
    assert await LlamaLog.count() == before
