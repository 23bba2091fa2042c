"""Undo a whole run (a sync, a bulk apply, an enrichment) as a job of its own, album by album.

Each album is its own transaction and child job. An album the run created, that nothing else touched
since, is removed with its tracks (`album:deleted:revert`, a `track:deleted:revert` row per track);
an album the run changed gets its fields and tracks back through the one-album revert. Anything
changed since by another job or a person is a conflict: listed in the job's summary, skipped, never
clobbered. Artists the run created that no album credits any more are removed last. Every row the
revert writes names the rows it undoes (`metadata.reverts`) and the run (`metadata.reverted_job`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, cast

from app.catalog.rows import AlbumRow
from app.catalog.tables import Album, AlbumArtist, Artist, Track, TrackArtist
from app.catalog.versioned import lock_album, lock_artist
from app.correction.prefetch import forget_album
from app.correction.revert import NothingToRevert, RevertConflict, revert_rows
from app.correction.run_changes import RunScope, run_rows
from app.db import ColumnUpdates, transaction
from app.jobs.tables import Job
from app.llamalog.context import JobContext, get_current_job, job_scope
from app.llamalog.logger import record, record_many
from app.llamalog.tables import LlamaLog

CHILD_KIND = "revert_run_album"
# Artist fields a run may have filled (enrichment, an adopted MBID) and its revert puts back.
ARTIST_RESTORABLE = ("musicbrainz_id", "sort_name", "country", "disambiguation")
_AlbumField = Literal["title", "release_date", "musicbrainz_id", "spotify_id", "discogs_id", "barcode"]
ALBUM_FIELDS: tuple[_AlbumField, ...] = (
    "title",
    "release_date",
    "musicbrainz_id",
    "spotify_id",
    "discogs_id",
    "barcode",
)


@dataclass
class RunRevert:
    albums_removed: int = 0
    albums_restored: int = 0
    artists_removed: int = 0
    artists_restored: int = 0
    artists_unlinked: int = 0
    # Albums the run changed but did not create, undone without a conflict: the artists it credited
    # on them are taken off again.
    kept_albums: set[uuid.UUID] = field(default_factory=set)
    tracks_removed: int = 0
    conflicts: list[str] = field(default_factory=list)

    def summary(self, run_id: uuid.UUID) -> dict[str, object]:
        return {
            "reverted_run": str(run_id),
            "albums_removed": self.albums_removed,
            "albums_restored": self.albums_restored,
            "artists_removed": self.artists_removed,
            "artists_restored": self.artists_restored,
            "artists_unlinked": self.artists_unlinked,
            "tracks_removed": self.tracks_removed,
            "conflicts": self.conflicts,
        }


def _normalized(row: dict[str, Any]) -> dict[str, Any]:
    """A run's row as the one-album revert reads a correction's: enrichment changes are undone like a
    correction's (and a cached cover's), a track the run created is removed."""
    row = dict(row)
    if row["entity_type"] == "ALBUM" and row["category"] in ("ENRICHED", "CACHED") and row["changes"]:
        row["category"] = "CORRECTED"  # a cover the run's cover job cached goes back too
    if row["entity_type"] == "TRACK" and row["category"] == "CREATED":
        row["metadata"] = {**row["metadata"], "action": "added"}
    if row["entity_type"] == "TRACK" and row["category"] == "ENRICHED" and row["changes"]:
        row["category"] = "CORRECTED"
    if row["status"] == "PARTIAL_SUCCESS" and row["changes"]:
        row["status"] = "SUCCESS"  # some tracks failed, but what it changed, it changed
    return row


class _Touch(TypedDict):
    operation: str
    username: str | None
    job_id: uuid.UUID | None


async def _touched_since(album_id: uuid.UUID, run: RunScope, after_id: int) -> _Touch | None:
    """The first later row about the album written by a job outside the run's tree (or by none)."""
    return cast(
        _Touch | None,
        await LlamaLog.select(LlamaLog.operation, LlamaLog.username, LlamaLog.job_id)
        .where(
            (LlamaLog.album_id == album_id)
            & (LlamaLog.id > after_id)
            & run.other_rows()
            & (LlamaLog.status != "FAILED")
        )
        .order_by(LlamaLog.id)
        .first(),
    )


async def _child_job(child: JobContext, album_id: uuid.UUID) -> None:
    now = dt.datetime.now(dt.UTC)
    await Job.insert(
        Job(
            job_id=uuid.UUID(child.job_id),
            kind=CHILD_KIND,
            args=json.dumps([str(album_id)]),
            parent_job_id=uuid.UUID(child.parent_job_id) if child.parent_job_id else None,
            root_job_id=uuid.UUID(child.root_job_id),
            triggered_by=child.triggered_by,
            user_id=child.user_id,
            username=child.username,
            status="succeeded",
            created_at=now,
            started_at=now,
            finished_at=now,
        )
    )


async def _record_revert(
    entity_type: str,
    entity_id: uuid.UUID,
    operation: str,
    label: str | None,
    changes: dict[str, dict[str, object]],
    *,
    reverts: list[int],
    run_id: uuid.UUID,
    summary: str | None = None,
    **extra: Any,
) -> None:
    """A row of the revert: CORRECTED by the admin's job, naming the rows it undoes and the run."""
    metadata: dict[str, object] = {"action": "revert", "reverts": reverts, "reverted_job": str(run_id)}
    if summary is not None:
        metadata["summary"] = {"text": summary}
    await record(
        entity_type=entity_type,
        entity_id=entity_id,
        operation=operation,
        category="CORRECTED",
        sources=["USER"],
        entity_label=label,
        changes=changes,
        metadata=metadata,
        **extra,
    )


async def _remove_album(album: AlbumRow, rows: list[dict[str, Any]], run_id: uuid.UUID) -> int:
    """Delete an album the run created, with its tracks; one row for it, one per track."""
    album_id = album["id"]
    tracks = await Track.select().where(Track.album == album_id)
    track_ids = [t["id"] for t in tracks]
    reverts = [int(r["id"]) for r in rows]
    meta = {"action": "revert", "reverts": reverts, "reverted_job": str(run_id)}
    if track_ids:
        await TrackArtist.delete().where(TrackArtist.track.is_in(track_ids))
        await Track.delete().where(Track.id.is_in(track_ids))
    await AlbumArtist.delete().where(AlbumArtist.album == album_id)
    await Album.delete().where(Album.id == album_id)
    await _record_revert(
        "ALBUM",
        album_id,
        "album:deleted:revert",
        album["title"],
        {name: {"before": album[name], "after": None} for name in ALBUM_FIELDS if album[name] is not None},
        reverts=reverts,
        run_id=run_id,
        summary=f"album removed with {len(tracks)} tracks (undoing its run)",
    )
    if tracks:
        await record_many(
            [
                {
                    "entity_type": "TRACK",
                    "entity_id": t["id"],
                    "album_id": album_id,
                    "track_id": t["id"],
                    "operation": "track:deleted:revert",
                    "category": "CORRECTED",
                    "child": True,
                    "sources": ["USER"],
                    "entity_label": t["title"],
                    "changes": {"title": {"before": t["title"], "after": None}},
                    "metadata": meta,
                }
                for t in tracks
            ]
        )
    return len(tracks)


async def _revert_album(
    album_id: uuid.UUID, rows: list[dict[str, Any]], run: RunScope, outcome: RunRevert
) -> None:
    run_id = run.job_id
    async with transaction():
        album = await lock_album(album_id)
        if album is None:
            return  # gone already (an earlier delivery of this revert removed it)
        label = album["title"]
        later = await _touched_since(album_id, run, max(int(r["id"]) for r in rows))
        if later is not None and "revert" in later["operation"]:
            return  # undone already (this revert delivered again, or a revert before it)
        if later is not None:
            who = later["username"] or f"job {later['job_id']}"
            outcome.conflicts.append(
                f"“{label}”: changed since the run ({later['operation']} by {who}); skipped"
            )
            return
        if any(r["entity_type"] == "ALBUM" and r["category"] == "CREATED" for r in rows):
            outcome.tracks_removed += await _remove_album(album, rows, run_id)
            outcome.albums_removed += 1
    if album is not None and not any(
        r["entity_type"] == "ALBUM" and r["category"] == "CREATED" for r in rows
    ):
        try:
            result = await revert_rows([_normalized(r) for r in reversed(rows)], reverted_job=run_id)
        except RevertConflict as exc:
            outcome.conflicts.extend(f"“{label}”: {conflict}; skipped" for conflict in exc.conflicts)
            return
        except NothingToRevert:
            outcome.kept_albums.add(album_id)
            return
        outcome.kept_albums.add(album_id)
        if result.changed:
            outcome.albums_restored += 1
    else:
        await forget_album(album_id)


async def _unlink_artists(rows: list[dict[str, Any]], run_id: uuid.UUID, outcome: RunRevert) -> None:
    """The album credits the run added (an enrichment's CREATED or LINKED artist row for the album, not
    a track) come off the albums it undid; the artists it created are then removed if nothing else
    credits them."""
    for row in rows:
        if not (
            row["entity_type"] == "ARTIST"
            and row["category"] in ("CREATED", "LINKED")
            and row["album_id"] in outcome.kept_albums
            and row["track_id"] is None
        ):
            continue
        album_id, artist_id = row["album_id"], row["entity_id"]
        async with transaction():
            credit = (AlbumArtist.album == album_id) & (AlbumArtist.artist == artist_id)
            if not await AlbumArtist.exists().where(credit):
                continue
            await AlbumArtist.delete().where(credit)
            await _record_revert(
                "ARTIST",
                artist_id,
                "artist:unlinked:revert",
                row["entity_label"],
                {"album_id": {"before": str(album_id), "after": None}},
                reverts=[int(row["id"])],
                run_id=run_id,
                child=True,
                album_id=album_id,
            )
            outcome.artists_unlinked += 1


async def _remove_artists(rows: list[dict[str, Any]], run_id: uuid.UUID, outcome: RunRevert) -> None:
    created = [r for r in rows if r["entity_type"] == "ARTIST" and r["category"] == "CREATED"]
    for row in created:
        artist_id = row["entity_id"]
        async with transaction():
            artist = await Artist.select().where(Artist.id == artist_id).first()
            if artist is None:
                continue
            linked = await AlbumArtist.count().where(AlbumArtist.artist == artist_id)
            linked += await TrackArtist.count().where(TrackArtist.artist == artist_id)
            if linked:
                outcome.conflicts.append(f"artist “{artist['name']}”: still credited on other albums; kept")
                continue
            await Artist.delete().where(Artist.id == artist_id)
            await _record_revert(
                "ARTIST",
                artist_id,
                "artist:deleted:revert",
                artist["name"],
                {"name": {"before": artist["name"], "after": None}},
                reverts=[int(row["id"])],
                run_id=run_id,
            )
            outcome.artists_removed += 1


async def _restore_artists(rows: list[dict[str, Any]], run_id: uuid.UUID, outcome: RunRevert) -> None:
    """Fields the run filled on artists it did not create (an MBID adopted by an enrichment, an
    artist enrichment) go back, newest first, each artist in a transaction of its own; a field that
    holds another value by now was changed since: a conflict, kept."""
    changed: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["entity_type"] == "ARTIST" and row["category"] == "ENRICHED" and row["changes"]:
            changed[row["entity_id"]].append(row)
    for artist_id, artist_rows in changed.items():
        async with transaction():
            artist = await lock_artist(artist_id)
            if artist is None:
                continue
            restore: dict[str, dict[str, object]] = {}
            for row in reversed(artist_rows):
                for name, change in row["changes"].items():
                    now = restore[name]["before"] if name in restore else artist.get(name)
                    if name not in ARTIST_RESTORABLE or now != change.get("after"):
                        outcome.conflicts.append(
                            f"artist “{artist['name']}”: {name} changed since the run; kept"
                        )
                        continue
                    restore[name] = {"before": now, "after": change.get("before")}
            if not restore:
                continue
            updates: ColumnUpdates = {getattr(Artist, k): v["after"] for k, v in restore.items()}
            updates[Artist.version] = artist["version"] + 1
            updates[Artist.updated_at] = dt.datetime.now(dt.UTC)
            await Artist.update(updates).where(Artist.id == artist_id)
            await _record_revert(
                "ARTIST",
                artist_id,
                "artist:reverted:revert",
                artist["name"],
                restore,
                reverts=[int(r["id"]) for r in artist_rows],
                run_id=run_id,
            )
            outcome.artists_restored += 1


async def revert_run(run_id: str | uuid.UUID) -> RunRevert:
    """Undo run `run_id` (the `revert_run` job): album by album, then its artists; conflicts skipped."""
    from app.jobs.progress import job_progress

    run = uuid.UUID(str(run_id))
    parent = get_current_job()
    if parent is None:
        raise RuntimeError("revert_run runs inside a job")
    scope = await RunScope.of(run)
    rows = [r for r in await run_rows(run, scope) if r["metadata"].get("action") != "revert"]
    by_album: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        album_id = row["album_id"] or (row["entity_id"] if row["entity_type"] == "ALBUM" else None)
        if album_id is not None and row["entity_type"] in ("ALBUM", "TRACK"):
            by_album[album_id].append(row)
    outcome = RunRevert()
    total = len(by_album)
    for done, (album_id, album_rows) in enumerate(by_album.items(), start=1):
        child = parent.child()
        with job_scope(child):
            async with transaction():
                await _child_job(child, album_id)
            await _revert_album(album_id, album_rows, scope, outcome)
        await job_progress(done, total)
    await _restore_artists(rows, run, outcome)
    await _unlink_artists(rows, run, outcome)
    await _remove_artists(rows, run, outcome)
    await Job.update({Job.summary: json.dumps(outcome.summary(run))}).where(
        Job.job_id == uuid.UUID(parent.job_id)
    )
    return outcome


async def start_revert(run_id: uuid.UUID, *, user_id: int | None, username: str | None) -> str:
    """Queue the revert of run `run_id` as a job of the admin's; returns its job id."""
    from app.jobs.actors import ActorName
    from app.jobs.launch import enqueue

    if await Job.count().where(Job.job_id == run_id) == 0:
        raise LookupError(f"there is no run {run_id}")
    return await enqueue(
        ActorName.REVERT_RUN, [str(run_id)], triggered_by="user", user_id=user_id, username=username
    )
