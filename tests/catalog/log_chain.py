"""The invariant every writer keeps: an album's (and each track's) log rows chain to its columns.

Per entity and per field, in log order: each row's `before` is the previous row's `after` (the
first `before` is the value the entity was created with), the last `after` is the column's value,
the version moved once per row that changed something (never reused, never skipped), and a field
an admin locked changed afterwards only through a CORRECTED (admin) row.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.catalog.tables import Album, Track
from app.llamalog.tables import LlamaLog

# Columns a writer bumps the version for (the log's diff), and the lock list itself.
ALBUM_FIELDS = ("title", "release_date", "label", "cover_art_url", "musicbrainz_id", "barcode")
TRACK_FIELDS = ("title", "track_number", "duration_ms", "isrc", "musicbrainz_id")


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _rows(entity_type: str, entity_id: Any) -> list[dict[str, Any]]:
    return (
        await LlamaLog.select()
        .where((LlamaLog.entity_type == entity_type) & (LlamaLog.entity_id == entity_id))
        .order_by(LlamaLog.id)
        .output(load_json=True)
    )


def _chain_problems(
    label: str,
    first: dict[str, Any],
    last: dict[str, Any],
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
) -> list[str]:
    problems: list[str] = []
    for name in fields:
        value = _comparable(first[name])
        for row in rows:
            change = (row["changes"] or {}).get(name)
            if change is None:
                continue
            if _comparable(change["before"]) != value:
                problems.append(
                    f"{label} {name}: row {row['id']} ({row['operation']}) logs before={change['before']!r}, "
                    f"the field held {value!r}"
                )
            value = _comparable(change["after"])
        if value != _comparable(last[name]):
            problems.append(f"{label} {name}: the log ends at {value!r}, the column holds {last[name]!r}")
    return problems


def _lock_problems(label: str, rows: list[dict[str, Any]], column: list[str]) -> list[str]:
    """Replays the locks: an admin correction locks what it changed; unlocks and reverts release.

    The replay must end at the album's locked_fields column.
    """
    locked: set[str] = set()
    problems: list[str] = []
    for row in rows:
        changes = row["changes"] or {}
        admin = row["category"] == "CORRECTED"
        if not admin:
            touched = sorted(set(changes) & locked)
            if touched:
                problems.append(f"{label}: row {row['id']} ({row['operation']}) changed locked {touched}")
            continue
        if "locked_fields" in changes:
            locked = set(changes["locked_fields"]["after"] or [])
        elif _action(row) == "revert":
            locked -= set((row["metadata"] or {}).get("unlocked") or [])
        else:
            locked |= set(changes)
    if locked != set(column):
        problems.append(
            f"{label}: the log's locks end at {sorted(locked)}, the column holds {sorted(column)}"
        )
    return problems


def _action(row: dict[str, Any]) -> Any:
    return (row["metadata"] or {}).get("action")


async def album_problems(album_id: Any, created_with: dict[str, Any]) -> list[str]:
    """Everything wrong with the album's log against its row (an empty list when it chains)."""
    album = await Album.select().where(Album.id == album_id).first()
    assert album is not None
    rows = await _rows("ALBUM", album_id)
    label = f"album {album['title']!r}"
    problems = _chain_problems(label, created_with, album, rows, ALBUM_FIELDS)
    problems += _lock_problems(label, rows, album["locked_fields"] or [])
    # An admin's row always moved the version (a correction of tracks only too); a job's when it
    # changed a field.
    bumps = sum(1 for row in rows if row["changes"] or row["category"] == "CORRECTED")
    if album["version"] != 1 + bumps:
        problems.append(f"{label}: version {album['version']} after {bumps} changes (a version was reused)")
    return problems


async def track_problems(album_id: Any, created_with: dict[Any, dict[str, Any]]) -> list[str]:
    """The same for each track of the album; `created_with` maps track id → its values at creation."""
    problems: list[str] = []
    for track in await Track.select().where(Track.album == album_id):
        if track["id"] not in created_with:
            continue  # added during the run: its CREATED row is its start
        rows = [row for row in await _rows("TRACK", track["id"]) if row["category"] != "CREATED"]
        label = f"track {track['title']!r}"
        problems += _chain_problems(label, created_with[track["id"]], track, rows, TRACK_FIELDS)
        # A removal and the revert that brings the track back keep its row as it was (version too).
        bumps = sum(1 for row in rows if row["changes"] and _action(row) not in ("added", "removed"))
        if track["version"] != 1 + bumps:
            problems.append(f"{label}: version {track['version']} after {bumps} changes")
    return problems


def _lifecycle_step(row: dict[str, Any]) -> str | None:
    """What a track's row did to its existence: "added", "removed", or None (it changed values)."""
    action = _action(row)
    if action in ("added", "removed"):
        return str(action)  # corrections and reverts say so in their metadata
    if row["category"] == "CREATED":
        return "added"  # a sync, an enrichment or an admin created it
    if row["operation"].startswith("track:deleted:"):
        return "removed"  # the track editor's delete
    return None


async def track_set_problems(album_id: Any) -> list[str]:
    """The album's tracks on file are exactly the ones its log leaves standing.

    Replays every track row of the album in log order: a track is created once (its id never
    comes back as a new track), removed only while on file, and put back (a revert) only after a
    removal. Corrections replace tracks and reverts restore them, so the tracks on file are the
    created ones minus the removed plus the restored, never simply the created ones.
    """
    rows = (
        await LlamaLog.select()
        .where((LlamaLog.album_id == album_id) & (LlamaLog.entity_type == "TRACK"))
        .order_by(LlamaLog.id)
        .output(load_json=True)
    )
    standing: set[str] = set()
    born: set[str] = set()
    problems: list[str] = []
    for row in rows:
        step, track = _lifecycle_step(row), str(row["entity_id"])
        where = f"track row {row['id']} ({row['operation']}, {row['entity_label']!r})"
        if step is None:
            if row["status"] == "SUCCESS" and track not in standing:
                problems.append(f"{where} changed a track that was not on file")
        elif step == "removed":
            if track not in standing:
                problems.append(f"{where} removed a track that was not on file")
            standing.discard(track)
        elif row["category"] == "CREATED":
            if track in born:
                problems.append(f"{where} created a track id a second time")
            born.add(track)
            standing.add(track)
        else:  # put back by a revert
            if track in standing or track not in born:
                problems.append(f"{where} restored a track that was on file or never created")
            standing.add(track)
    on_file = {str(t["id"]) for t in await Track.select(Track.id).where(Track.album == album_id)}
    if on_file != standing:
        problems.append(
            f"album {album_id}: tracks on file but not standing in the log {sorted(on_file - standing)}, "
            f"standing in the log but not on file {sorted(standing - on_file)}"
        )
    return problems
