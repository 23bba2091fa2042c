"""A job and an admin writing one album at the same moment: one wins, locks hold, the log chains.

The races are driven, not hoped for: the admin's save runs at the exact point where the job has
read the album and not yet written it (inside the job's network call, or between its read and its
write), in a task of its own with its own connection.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable
from typing import Any

import pytest

from app.catalog import enrich
from app.catalog.albums import AlbumUpdate, VersionConflict, update_album
from app.catalog.covers import cache_cover
from app.catalog.enrich import enrich_album
from app.catalog.tables import Album
from app.catalog.versioned import StaleVersion, lock_album, set_album
from app.db import transaction
from app.llamalog.context import JobContext, job_scope
from app.llamalog.tables import LlamaLog
from app.sources import clients
from tests.catalog.log_chain import album_problems
from tests.conftest import TEST_DB
from tests.factories import job_album

KAT_MODA = "e47d04a4-7460-427d-a731-cc82386d85f1"
DARKER = "78ce3427-f5cf-480d-92bb-837381162971"


async def admin_save(album_id: Any, fields: dict[str, Any], version: int) -> AlbumUpdate:
    """What the album page's save does, as the admin's own job."""
    with job_scope(JobContext.new_root(triggered_by="user", user_id=1, username="admin")):
        return await update_album(album_id, fields, expected_version=version)


def elsewhere(work: Awaitable[Any]) -> asyncio.Task[Any]:
    """Run `work` as another request would: its own task, outside the caller's transaction."""
    return asyncio.get_running_loop().create_task(work, context=contextvars.Context())  # type: ignore[arg-type]


async def until_done_or_waiting_on_a_lock(task: asyncio.Task[Any]) -> None:
    """Return once `task` has finished or its connection waits for a row lock (Postgres)."""
    deadline = asyncio.get_running_loop().time() + 15
    while not task.done():
        # From a connection of its own: inside a transaction pg_stat_activity is a frozen snapshot.
        waiting = await elsewhere(
            Album.raw(
                "SELECT count(*) AS n FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).run()
        )
        if waiting[0]["n"]:
            return
        assert asyncio.get_running_loop().time() < deadline, "the admin's save neither finished nor waited"
        await asyncio.sleep(0.01)


async def _album(album_id: Any) -> dict[str, Any]:
    row = await Album.select().where(Album.id == album_id).first()
    assert row is not None
    return row


async def test_cover_fetched_while_an_admin_locks_the_cover_leaves_the_admins_cover(
    upstream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _ = await job_album(title="You Want It Darker", artist="Leonard Cohen", musicbrainz_id=DARKER)
    start = await _album(created.id)
    mine = "https://covers.example.org/admin-picked.png"
    caa = clients.coverart()
    fetch = caa.front

    async def front_while_the_admin_saves(mbid: str) -> Any:
        image = await fetch(mbid)
        await elsewhere(admin_save(created.id, {"cover_art_url": mine}, version=1))
        return image

    monkeypatch.setattr(caa, "front", front_while_the_admin_saves)
    assert await cache_cover(created.id) == "SKIPPED"

    album = await _album(created.id)
    assert album["cover_art_url"] == mine and album["locked_fields"] == ["cover_art_url"]
    assert album["version"] == 2
    cached = await LlamaLog.select().where(LlamaLog.category == "CACHED").output(load_json=True).first()
    assert cached["status"] == "SKIPPED" and cached["changes"] is None
    assert cached["reason"] == "cover_art_url is locked by an admin"
    assert await album_problems(created.id, start) == []


@pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite write transactions exclude each other whole")
async def test_enrichment_that_read_the_album_before_an_admin_save_never_overwrites_it(
    upstream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _ = await job_album(
        title="Kat Moda", artist="Jeff Mills", musicbrainz_id=KAT_MODA, release_date="1929"
    )
    start = await _album(created.id)
    admin: list[asyncio.Task[AlbumUpdate]] = []
    opened: list[int] = []
    split = enrich.fields_to_update

    def admin_saves_after_the_read(album: Any, proposed: dict[str, Any]) -> Any:
        # Alice's editor was opened at version 1, before enrichment started.
        admin.append(elsewhere(admin_save(created.id, {"release_date": "1933"}, version=1)))
        return split(album, proposed)

    async def wait_for_the_admin(mbid: str, album_id: Any) -> Any:
        if admin and not opened:
            await until_done_or_waiting_on_a_lock(admin[0])
            # Bob opens the editor now: after Alice's save, before enrichment writes.
            bob = await elsewhere(Album.select(Album.version).where(Album.id == album_id).first().run())
            opened.append(bob["version"])
        return await owner(mbid, album_id)

    owner = enrich._mbid_owner
    monkeypatch.setattr(enrich, "fields_to_update", admin_saves_after_the_read)
    # `_mbid_owner` runs right after the split, before any write: the admin's save goes in there.
    monkeypatch.setattr(enrich, "_mbid_owner", wait_for_the_admin)
    result = await enrich_album(created.id)
    (alice,) = await asyncio.gather(admin[0], return_exceptions=True)
    # Bob's form predates enrichment's write: refused, with the value now on file, nothing saved.
    with pytest.raises(VersionConflict) as refused:
        await admin_save(created.id, {"release_date": "1940"}, version=opened[0])
    assert refused.value.current["release_date"] == "2001"

    album = await _album(created.id)
    assert await album_problems(created.id, start) == []
    # Enrichment held the album: it wrote first, so Alice's form (version 1) is stale and refused.
    assert isinstance(alice, VersionConflict) and alice.current["release_date"] == "2001"
    assert "release_date" in result.fields and album["release_date"] == "2001"
    assert album["version"] == 2 and not album["locked_fields"]


async def test_a_write_from_a_stale_read_loses_and_writes_nothing() -> None:
    created, _ = await job_album(title="Compared", release_date="1929")
    async with transaction():
        read = await lock_album(created.id)
    assert read is not None
    await admin_save(created.id, {"release_date": "1933"}, version=1)  # moves the album to version 2
    with pytest.raises(StaleVersion):
        async with transaction():
            await set_album(read, {Album.release_date: "2001"})  # version = 2 WHERE version = 1
    album = await _album(created.id)
    assert (album["release_date"], album["version"]) == ("1933", 2)


async def test_the_album_lock_is_only_taken_inside_a_transaction() -> None:
    created, _ = await job_album(title="Outside")
    with pytest.raises(RuntimeError, match="inside the writer's transaction"):
        await lock_album(created.id)
