"""Two writers on separate connections reach the same MusicBrainz artist at once (Postgres).

The holder runs its writer inside a transaction it keeps open; the contender starts only then,
and the holder commits only once the contender is seen waiting on a lock (pg_stat_activity), so
the interleaving is forced, not left to timing. Whatever the order, the outcome is the one the
same two writers give one after the other: one artist per MBID, one CREATED row, the rest LINKED
or adopted, and no unique violation on `artist_musicbrainz_id_key`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.catalog.artists import LinkedArtist, find_or_create_artist
from app.catalog.enrich import enrich_album
from app.catalog.records import ArtistInput
from app.catalog.tables import AlbumArtist, Artist
from app.db import transaction
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from tests.conftest import TEST_DB
from tests.factories import job_album
from tests.jobs.harness import wait_until

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgres", reason="SQLite's IMMEDIATE write transactions never interleave two writers"
)

KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"
JEFF_MILLS = "470a4ced-1323-4c91-8fd5-0bb3fb4c932a"  # the artist of the Kat Moda release


async def _waiting_on_a_lock() -> bool:
    rows = await Artist.raw(
        "SELECT count(*) AS n FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(rows[0]["n"])


async def _race(holder: Callable[[], Awaitable[Any]], contender: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run `holder` in a transaction held open until `contender` waits on it; both results."""
    written, release = asyncio.Event(), asyncio.Event()

    async def hold() -> Any:
        with job_scope(JobContext.new_root(triggered_by="scheduled")):
            async with transaction():
                result = await holder()
                written.set()
                await release.wait()
        return result

    async def contend() -> Any:
        await written.wait()
        with job_scope(JobContext.new_root(triggered_by="scheduled")):
            return await contender()

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(work(), context=contextvars.Context()) for work in (hold, contend)]
    await written.wait()
    try:
        await wait_until(_waiting_on_a_lock, timeout=20, what="the contender waiting on the holder")
    finally:
        release.set()
    return list(await asyncio.gather(*tasks))


def _create(name: str) -> Callable[[], Awaitable[LinkedArtist]]:
    artist = ArtistInput(name=name, musicbrainz_id=JEFF_MILLS)
    return lambda: find_or_create_artist(artist, operation_path="enrichment", sources=["MUSICBRAINZ"])


async def _artist_rows(category: str) -> list[dict[str, Any]]:
    return await LlamaLog.select().where((LlamaLog.entity_type == "ARTIST") & (LlamaLog.category == category))


async def test_two_jobs_creating_one_mbid_artist_make_one_created_row_and_one_linked() -> None:
    first, second = await _race(_create("Jeff Mills"), _create("J. Mills"))
    assert first.created and not second.created
    assert first.id == second.id
    assert await Artist.count() == 1
    assert len(await _artist_rows("CREATED")) == 1
    assert len(await _artist_rows("LINKED")) == 1


async def test_an_enrichment_adopting_an_mbid_another_job_just_created_links_instead(upstream: Any) -> None:
    album, _ = await job_album(title="Kat Moda", artist="Jeff Mills", musicbrainz_id=KAT_MODA)
    created, result = await _race(_create("J. Mills"), lambda: enrich_album(album.id))
    assert created.created
    assert result.status == "SUCCESS" and result.tracks_created == 3
    (owner,) = await Artist.select().where(Artist.musicbrainz_id == JEFF_MILLS)
    assert owner["id"] == created.id  # the MBID stays with the artist created first
    track_credits = await Artist.count().where(Artist.musicbrainz_id == JEFF_MILLS)
    assert track_credits == 1


async def test_two_enrichments_adopting_one_mbid_for_two_same_named_artists_both_succeed(
    upstream: Any,
) -> None:
    # Two streaming artists of the same name (different Spotify ids) are two rows; MusicBrainz
    # says both albums are by one artist, and only one row may carry its MBID.
    first, _ = await job_album(
        title="Kat Moda",
        musicbrainz_id=KAT_MODA,
        artists=(ArtistInput(name="Jeff Mills", spotify_id="mwrjECGH6jyAfprHkcCbA7"),),
    )
    second, _ = await job_album(
        title="Kat Moda",
        artists=(ArtistInput(name="Jeff Mills", spotify_id="0000000000000000000000"),),
    )
    await _race(lambda: enrich_album(first.id), lambda: enrich_album(second.id))
    assert await Artist.count().where(Artist.musicbrainz_id == JEFF_MILLS) == 1
    adopted = await LlamaLog.select().where(LlamaLog.operation == "artist:enriched:enrichment")
    assert len(adopted) == 1
    credited = await AlbumArtist.count().where(AlbumArtist.album.is_in([first.id, second.id]))
    assert credited == 2


async def test_two_enrichments_of_one_artist_fill_it_once_and_the_second_says_so(upstream: Any) -> None:
    from app.catalog.artist_enrich import enrich_artist

    await job_album(title="Kat Moda", artists=(ArtistInput(name="Jeff Mills", musicbrainz_id=JEFF_MILLS),))
    artist_id = (await Artist.select(Artist.id).first())["id"]
    statuses = await _race(lambda: enrich_artist(artist_id), lambda: enrich_artist(artist_id))
    assert statuses == ["SUCCESS", "SKIPPED"]  # the second read what the first wrote
    enriched = LlamaLog.operation == "artist:enriched:musicbrainz"
    rows = await LlamaLog.select().where(enriched).order_by(LlamaLog.id)
    assert [r["status"] for r in rows] == ["SUCCESS", "SKIPPED"]
    artist = await Artist.select(Artist.version).where(Artist.id == artist_id).first()
    assert artist["version"] == 2  # one change, one version
