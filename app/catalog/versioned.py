"""The one way to change an album or its tracks: lock the album, read it, compare-and-set the version.

Every writer (enrichment, covers, corrections, reverts, admin edits of fields, locks and tracks)
starts its transaction with `lock_album()`, so what it reads (values, locked_fields, versions) is
what it overwrites and the `before` it logs is the value it replaced. On Postgres that is a row
lock (`SELECT … FOR UPDATE`, held to the commit); on SQLite the write transaction is IMMEDIATE, so
it already excludes every other writer. The album row is the lock for its tracks too: one lock per
album, always taken first, so two writers never wait on each other in opposite orders.

`set_album()` / `set_track()` then write `version = read + 1 WHERE version = read`: a writer that
did not take the lock (or a bug) loses with StaleVersion instead of reusing a version number.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from piccolo.query.methods.select import Select

from app.catalog.rows import AlbumRow, ColumnUpdates, TrackRow, VersionedRow
from app.catalog.tables import Album, Artist, Track
from app.db import engine


class StaleVersion(Exception):
    """The row moved past the version this writer read: nothing of its write may stand."""

    # A job that loses is retried (tasks/retry_policy.py) and starts again from a fresh read;
    # an admin's service turns it into the conflict the page shows.
    retryable = True

    def __init__(self, table: str, row_id: uuid.UUID, version: int) -> None:
        super().__init__(f"{table} {row_id} changed since version {version}")
        self.table, self.row_id, self.version = table, row_id, version


def _in_transaction() -> None:
    # A lock outside a transaction ends with its statement: it would protect nothing.
    if engine().current_transaction.get() is None:
        raise RuntimeError("a row lock must be taken inside the writer's transaction")


def _locked(query: Select) -> Select:
    """`query` reading its rows under their write lock (Postgres; SQLite's write transaction is
    exclusive already)."""
    _in_transaction()
    return query.lock_rows("UPDATE") if engine().engine_type == "postgres" else query


async def lock_album(album_id: uuid.UUID) -> AlbumRow | None:
    """The album's row, read under its write lock (None when there is no such album)."""
    return cast(AlbumRow | None, await _locked(Album.select().where(Album.id == album_id)).first())


async def lock_artist(artist_id: uuid.UUID) -> dict[str, Any] | None:
    """The artist's row, read under its write lock (None when there is no such artist): a second
    writer of the same artist waits, then reads what the first one wrote."""
    return cast(dict[str, Any] | None, await _locked(Artist.select().where(Artist.id == artist_id)).first())


async def lock_album_of_track(track_id: uuid.UUID) -> TrackRow | None:
    """Lock the album a track belongs to, then read the track (None when there is no such track)."""
    _in_transaction()
    owner = await Track.select(Track.album).where(Track.id == track_id).first()
    if owner is None:
        return None
    await lock_album(owner["album"])
    # Read again under the lock: the first read only found which album to lock.
    return cast(TrackRow | None, await Track.select().where(Track.id == track_id).first())


async def set_album(current: VersionedRow, updates: ColumnUpdates) -> int:
    """Write `updates` and bump the version the caller read; returns the new version."""
    read = int(current["version"])
    values: ColumnUpdates = {**updates, Album.version: read + 1, Album.updated_at: dt.datetime.now(dt.UTC)}
    moved = (
        await Album.update(values)
        .where((Album.id == current["id"]) & (Album.version == read))
        .returning(Album.id)
    )
    if not moved:
        raise StaleVersion("album", current["id"], read)
    return read + 1


async def set_track(current: VersionedRow, updates: ColumnUpdates) -> int:
    """Write `updates` to the track and bump the version the caller read; returns the new version."""
    read = int(current.get("version") or 1)
    values: ColumnUpdates = {**updates, Track.version: read + 1, Track.updated_at: dt.datetime.now(dt.UTC)}
    moved = (
        await Track.update(values)
        .where((Track.id == current["id"]) & (Track.version == read))
        .returning(Track.id)
    )
    if not moved:
        raise StaleVersion("track", current["id"], read)
    return read + 1
