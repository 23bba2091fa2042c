"""Drill: the database fails between an album's insert and its log row.

Two ways: a statement that fails inside the transaction (both databases), and on Postgres the
transaction's backend killed with pg_terminate_backend (the connection drops mid-transaction).

What the user sees: the add-album form answers with an error (a 5xx error page; nothing says it was
saved), and the next request works. Proof: no album, no artist, no log row remains; the database
takes the next write (no lock left behind, the pool replaced the dead connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from piccolo.querystring import QueryString

from app.catalog import albums
from app.catalog.tables import Album, Artist, Track
from app.config import get_settings
from app.db import engine
from app.llamalog.tables import LlamaLog
from tests.conftest import PG_ADMIN_DSN
from tests.factories import manual_album, tracklist

pytestmark = pytest.mark.slow
postgres_only = pytest.mark.skipif(not get_settings().is_postgres, reason="pg_terminate_backend is Postgres")


async def _failing_statement() -> None:
    await engine().run_querystring(QueryString("SELECT no_such_column FROM llama_log"))


async def _terminate_own_backend() -> None:
    rows = await engine().run_querystring(QueryString("SELECT pg_backend_pid() AS pid"))
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", rows[0]["pid"])
    finally:
        await admin.close()


def _break_before_album_row(
    monkeypatch: pytest.MonkeyPatch, fault: Callable[[], Awaitable[None]]
) -> list[int]:
    """The album's own record() call runs `fault` first (the album row is already inserted)."""
    real = albums.record
    hits: list[int] = []

    async def broken(**fields: Any) -> Any:
        if fields.get("entity_type") == "ALBUM":
            hits.append(1)
            await fault()
        return await real(**fields)

    monkeypatch.setattr(albums, "record", broken)
    return hits


async def _nothing_remains(title: str) -> None:
    assert await Album.count().where(Album.title == title) == 0
    assert await Artist.count() == 0 and await Track.count() == 0
    assert await LlamaLog.count() == 0


async def _still_writable() -> None:
    created = await manual_album(title="After the drill", tracks=tracklist(2))
    assert await Album.count().where(Album.id == created.id) == 1
    assert await LlamaLog.count().where(LlamaLog.album_id == created.id) == 1 + 1 + 2


DROPS = 12  # the web app's pool holds 10
FAULTS = [pytest.param(_failing_statement, id="failing-statement")]
FAULTS_PG = [*FAULTS, pytest.param(_terminate_own_backend, id="backend-terminated", marks=postgres_only)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", FAULTS_PG)
async def test_service_leaves_nothing_when_the_write_fails(
    monkeypatch: pytest.MonkeyPatch, fault: Any
) -> None:
    hits = _break_before_album_row(monkeypatch, fault)
    with pytest.raises(Exception) as raised:  # noqa: B017,PT011 - whatever the driver raises
        await manual_album(title="Half Written", tracks=tracklist(3))
    assert hits == [1], "the fault never ran"
    # asyncpg reports a backend killed mid-statement either as a lost connection or, when the
    # kill lands while the protocol is busy, as "another operation is in progress".
    text = str(raised.value).lower()
    assert "no_such_column" in text or "connection" in text or "another operation" in text
    monkeypatch.undo()
    await _nothing_remains("Half Written")
    await _still_writable()


@pytest.mark.timeout(120)  # a connection never given back makes the app's shutdown hang
@pytest.mark.parametrize("fault", FAULTS_PG)
async def test_add_album_form_reports_the_error(
    client: Any, monkeypatch: pytest.MonkeyPatch, fault: Any
) -> None:
    hits = _break_before_album_row(monkeypatch, fault)
    form = {"_csrf_token": client.cookies.get("llama_csrf"), "artist": "Someone"}
    for n in range(DROPS):  # more than the pool holds: every connection must come back
        response = client.post("/albums/new", data={**form, "title": f"Form {n}"}, follow_redirects=False)
        assert response.status_code >= 500, response.status_code
        assert "location" not in response.headers  # never sent on to an album page
    assert len(hits) == DROPS
    monkeypatch.undo()
    assert await Album.count() == 0 and await Artist.count() == 0 and await LlamaLog.count() == 0
    # The same server goes on working: the page answers and the next add lands.
    assert client.get("/albums/new").status_code == 200
    response = client.post("/albums/new", data={**form, "title": "Lands"}, follow_redirects=False)
    assert response.status_code == 303
    assert await Album.count() == 1 and await LlamaLog.count().where(LlamaLog.category == "CREATED") == 2
