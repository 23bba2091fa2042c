"""Undo a correction: one log row, or every row of the job that made it, in one transaction.

The undo is itself on the record: `album:reverted:admin` (tracks: `track:reverted:admin`),
CORRECTED, with `metadata.reverts` naming the undone rows. A value that moved on since (the field
no longer holds the row's `after`) is a conflict: nothing is written and the fields are listed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from app.catalog.rows import AlbumRow, ColumnUpdates, FieldChanges, FieldValue, TrackRow, field_value
from app.catalog.state import refresh_album_state
from app.catalog.tables import Album, Track
from app.catalog.versioned import StaleVersion, lock_album, set_album
from app.correction.track_writes import (
    SNAPSHOT_COLUMNS,
    TrackOp,
    from_snapshot,
    track_titles,
    write_track_ops,
)
from app.db import transaction
from app.llamalog.context import get_current_job
from app.llamalog.logger import record
from app.llamalog.summary import summarize
from app.llamalog.tables import LlamaLog

ALBUM_OPERATION = "album:reverted:admin"
TRACK_OPERATION = "track:reverted:admin"


class RevertConflict(Exception):
    """The catalog moved on since the correction: each entry says which field and how."""

    def __init__(self, conflicts: list[str]) -> None:
        super().__init__("; ".join(conflicts))
        self.conflicts = conflicts


class NothingToRevert(LookupError):
    """No revertable row under that id or job."""


@dataclass
class RevertResult:
    album_id: uuid.UUID
    job_id: str | None
    log_id: int | None
    reverted: list[int]
    fields: FieldChanges = field(default_factory=dict)
    tracks: int = 0
    skipped: list[int] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)  # the revert row's metadata.summary

    @property
    def changed(self) -> bool:
        return self.log_id is not None

    @property
    def text(self) -> str:
        """What the revert did, in words: `3 tracks removed; quality HIGH → LOW`."""
        return str(self.summary.get("text") or "")


def _loaded(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _action(row: dict[str, Any]) -> str | None:
    """What the row did: album `changed`, or a track `added`/`changed`/`removed`; None if not undoable."""
    meta = row["metadata"] or {}
    if row["category"] not in ("CORRECTED", "CREATED") or row["status"] != "SUCCESS":
        return None
    if row["entity_type"] == "ALBUM":
        # A root row that only carries its job's summary (its tracks changed) undoes nothing itself.
        return "changed" if row["category"] == "CORRECTED" and row["changes"] else None
    if row["entity_type"] != "TRACK":
        return None
    action = meta.get("action")
    if action in ("added", "changed", "removed"):
        return str(action)
    verb = row["operation"].split(":")[1] if row["operation"].count(":") >= 1 else ""
    if row["category"] == "CREATED":
        return None  # a track a sync created is not a correction
    if "delet" in verb or "remov" in verb:
        has_values = meta.get("snapshot") or (row["changes"] or {}).get("title")
        return "removed" if has_values else None
    return "changed"


async def rows_to_revert(
    *, log_id: int | None = None, job_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """The row, or the job's rows (its own and its children's), newest first, JSON decoded."""
    query = LlamaLog.select()
    if log_id is not None:
        query = query.where(LlamaLog.id == log_id)
    elif job_id is not None:
        job = uuid.UUID(str(job_id))
        query = query.where((LlamaLog.job_id == job) | (LlamaLog.parent_job_id == job))
    else:
        raise ValueError("name a log row or a job")
    rows = await query.order_by(LlamaLog.id, ascending=False)
    for row in rows:
        row["changes"] = _loaded(row["changes"])
        row["metadata"] = _loaded(row["metadata"])
    return rows


def _album_plan(album: AlbumRow, rows: list[dict[str, Any]], conflicts: list[str]) -> dict[str, FieldValue]:
    """Field → value to restore; walks newest first so a field changed twice lands on the oldest."""
    state: dict[str, object] = dict(album)
    restore: dict[str, FieldValue] = {}
    for row in rows:
        for name, change in (row["changes"] or {}).items():
            if name not in state:
                conflicts.append(f"{name}: not an album field any more")
                continue
            if state[name] != change.get("after"):
                conflicts.append(f"{name}: now {state[name]!r}, the correction set {change.get('after')!r}")
                continue
            state[name] = change.get("before")
            restore[name] = change.get("before")
    return restore


def _track_plan(
    tracks: dict[str, dict[str, Any]], rows: list[dict[str, Any]], conflicts: list[str]
) -> list[TrackOp]:
    state = {key: dict(value) for key, value in tracks.items()}
    ops: list[TrackOp] = []
    for row in rows:
        action, track_id = _action(row), str(row["entity_id"])
        changes, meta = row["changes"] or {}, row["metadata"] or {}
        label = row["entity_label"] or track_id
        reverts = {"reverts": row["id"]}
        if action == "removed":
            if track_id in state:
                conflicts.append(f"track “{label}”: it is back on the album already")
                continue
            values = _restored(row)
            ops.append(
                TrackOp(
                    "added",
                    TRACK_OPERATION,
                    "CORRECTED",
                    values=values,
                    artists=list(meta.get("artists") or []),
                    metadata=reverts,
                )
            )
            state[track_id] = values
            continue
        current = state.get(track_id)
        if current is None:
            conflicts.append(f"track “{label}”: deleted since")
            continue
        moved = [k for k, c in changes.items() if current.get(k) != _typed(k, c.get("after"))]
        if moved:
            conflicts.append(f"track “{label}”: {', '.join(moved)} changed since")
            continue
        # Each op keeps a copy of the track as it is now: `current` moves on to the restored values,
        # and the row's `before` must be what the write replaces (it logged `{}` before).
        if action == "added":
            ops.append(
                TrackOp(
                    "removed",
                    TRACK_OPERATION,
                    "CORRECTED",
                    track=cast(TrackRow, dict(current)),
                    metadata=reverts,
                )
            )
            del state[track_id]
        else:
            values = {k: _typed(k, c.get("before")) for k, c in changes.items()}
            ops.append(
                TrackOp(
                    "changed",
                    TRACK_OPERATION,
                    "CORRECTED",
                    track=cast(TrackRow, dict(current)),
                    values=values,
                    metadata=reverts,
                )
            )
            current.update(values)
    slots: dict[tuple[object, object], str] = {}
    for track in state.values():
        slot = (track.get("disc_number") or 1, track.get("track_number"))
        if slot in slots:
            conflicts.append(
                f"disc {slot[0]} track {slot[1]}: “{slots[slot]}” and “{track['title']}” would share it"
            )
        slots[slot] = str(track.get("title"))
    return _merge_changes(ops)


def _restored(row: dict[str, Any]) -> dict[str, Any]:
    """A deleted track's columns: the full snapshot a correction keeps, else the row's `before` values."""
    meta = row["metadata"] or {}
    if meta.get("snapshot"):
        return from_snapshot(meta["snapshot"])
    values = {k: c.get("before") for k, c in (row["changes"] or {}).items() if k in SNAPSHOT_COLUMNS}
    return {**values, "id": uuid.UUID(str(row["entity_id"]))}


def _typed(name: str, value: object) -> object:
    return uuid.UUID(value) if name == "id" and isinstance(value, str) else value


def _merge_changes(ops: list[TrackOp]) -> list[TrackOp]:
    """Two undone changes of one track become one write (the track's row is read once)."""
    merged: dict[str, TrackOp] = {}
    result: list[TrackOp] = []
    for op in ops:
        key = str(op.track["id"]) if op.track is not None and op.action == "changed" else None
        if key and key in merged:
            merged[key].values.update(op.values)
            continue
        if key:
            merged[key] = op
        result.append(op)
    return result


async def revert(
    *, log_id: int | None = None, job_id: uuid.UUID | None = None, album_id: uuid.UUID | None = None
) -> RevertResult:
    """Undo one row or a whole correction job; RevertConflict when something changed since.

    `album_id`, when given, must be the album the rows are about (a page reverts its own album).
    """
    rows = await rows_to_revert(log_id=log_id, job_id=job_id)
    if album_id is not None:
        rows = [row for row in rows if str(row["album_id"]) == str(album_id)]
    return await revert_rows(rows, reverted_job=job_id)


async def revert_rows(rows: list[dict[str, Any]], *, reverted_job: uuid.UUID | None = None) -> RevertResult:
    """Undo `rows` (newest first, JSON decoded, all about one album) in one transaction."""
    job_id = reverted_job
    undoable = [row for row in rows if _action(row)]
    if not undoable:
        raise NothingToRevert("nothing in that correction can be reverted")
    album_ids = {row["album_id"] for row in undoable}
    if len(album_ids) != 1:
        raise NothingToRevert("a revert covers one album at a time: open the album to revert its part")
    album_id = album_ids.pop()
    async with transaction():
        album = await lock_album(album_id)
        if album is None:
            raise NothingToRevert("the album is gone")
        tracks = {str(t["id"]): t for t in await Track.select().where(Track.album == album_id)}
        conflicts: list[str] = []
        album_rows = [row for row in undoable if row["entity_type"] == "ALBUM"]
        restore = _album_plan(album, album_rows, conflicts)
        ops = _track_plan(tracks, [row for row in undoable if row["entity_type"] == "TRACK"], conflicts)
        if conflicts:
            raise RevertConflict(conflicts)
        reverted = [int(row["id"]) for row in undoable]
        unlocked = _unlocks(album, album_rows, restore)
        changed: FieldChanges = {
            n: {"before": field_value(album, n), "after": v}
            for n, v in restore.items()
            if field_value(album, n) != v
        }
        skipped = [int(row["id"]) for row in rows if not _action(row)]
        ctx = get_current_job()
        if not changed and not ops and not unlocked:  # undoes nothing: writes nothing, like a no-op save
            return RevertResult(album_id, None, None, [], skipped=skipped)
        titles = track_titles(ops)
        metadata = {
            "action": "revert",
            "reverts": reverted,
            "reverted_job": str(job_id) if job_id is not None else None,
            "unlocked": unlocked,
        }
        track_log_ids = await write_track_ops(album_id, ops, sources=["USER"])
        log_id_out, summary = await _restore_album(
            album, changed, metadata, cast(str | None, restore.get("title")), titles
        )
        await refresh_album_state(album_id)
    return RevertResult(
        album_id=album_id,
        job_id=ctx.job_id if ctx else None,
        log_id=log_id_out,
        reverted=reverted,
        fields=changed,
        tracks=len(track_log_ids),
        skipped=skipped,
        summary=summary,
    )


def _unlocks(album: AlbumRow, rows: list[dict[str, Any]], restore: dict[str, FieldValue]) -> list[str]:
    """Locks a correction added (it recorded the locks it found) go with it."""
    unlocked: set[str] = set()
    for row in rows:
        before = (row["metadata"] or {}).get("locked_before")
        if before is None:
            continue
        unlocked |= {name for name in (row["changes"] or {}) if name not in before}
    return sorted(unlocked & set(album["locked_fields"] or []) & set(restore))


async def _restore_album(
    album: AlbumRow,
    changed: FieldChanges,
    metadata: dict[str, Any],
    title: str | None,
    titles: dict[str, list[str]],
) -> tuple[int, dict[str, object]]:
    """Put the old values back as they were stored (no re-validation), bump the version, log it."""
    updates: ColumnUpdates = {getattr(Album, name): c["after"] for name, c in changed.items()}
    if metadata["unlocked"]:
        updates[Album.locked_fields] = sorted(set(album["locked_fields"] or []) - set(metadata["unlocked"]))
    try:
        await set_album(album, updates)
    except StaleVersion as lost:
        raise RevertConflict(["the album changed while reverting: reload and try again"]) from lost
    before, after = await refresh_album_state(album["id"])
    summary = summarize(fields=changed, tracks=titles, quality_before=before, quality_after=after)
    row = await record(
        entity_type="ALBUM",
        entity_id=album["id"],
        operation=ALBUM_OPERATION,
        category="CORRECTED",
        sources=["USER"],
        entity_label=title or album["title"],
        changes=changed,
        fields_enriched=sorted(changed),
        data_quality_before=before,
        data_quality_after=after,
        metadata={**metadata, "summary": summary},
    )
    return int(row.id), summary
