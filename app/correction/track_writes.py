"""Add, change and remove an album's tracks, one log row each, without tripping the unique slots.

Tracks can trade places (swaps, a split onto two discs), so the writes go in an order the
(album, disc, number) and (album, recording) unique indexes accept: removals, then every moving
track parked on a negative number, then the final values, then the additions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from app.catalog.rows import ColumnUpdates, TrackRow
from app.catalog.tables import Artist, Track, TrackArtist
from app.catalog.tracks import track_quality
from app.catalog.versioned import set_track
from app.llamalog.logger import record

ACTIONS = ("added", "changed", "removed")
# What a removal keeps so a revert can put the track back exactly.
SNAPSHOT_COLUMNS = (
    "id",
    "title",
    "disc_number",
    "track_number",
    "duration_ms",
    "isrc",
    "explicit",
    "preview_url",
    "musicbrainz_id",
    "spotify_id",
    "version",
    "created_at",
    "updated_at",
)
LOGGED_COLUMNS = ("title", "disc_number", "track_number", "duration_ms", "isrc", "musicbrainz_id")


class ArtistLink(TypedDict):
    """A track's artist credit as a deleted track's snapshot keeps it (`track_artists`)."""

    artist: str
    role: str
    position: int


@dataclass
class TrackOp:
    action: str
    operation: str
    category: str
    track: TrackRow | None = None  # the row as it is (changed, removed)
    values: dict[str, Any] = field(default_factory=dict)  # new values (added: every column given)
    artists: list[ArtistLink] = field(default_factory=list)  # links to restore with an addition
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown track action {self.action!r}")

    @property
    def label(self) -> str:
        return str(self.values.get("title") or (self.track["title"] if self.track else None) or "")

    def changes(self) -> dict[str, dict[str, object]]:
        before: Mapping[str, object] = self.track or {}
        if self.action == "removed":
            return {
                k: {"before": _json(before.get(k)), "after": None}
                for k in LOGGED_COLUMNS
                if before.get(k) is not None
            }
        keys = LOGGED_COLUMNS if self.action == "added" else tuple(self.values)
        return {
            k: {"before": _json(before.get(k)) if self.track else None, "after": _json(self.values.get(k))}
            for k in keys
            if k in self.values and (self.track is None or before.get(k) != self.values[k])
        }


def track_titles(ops: list[TrackOp]) -> dict[str, list[str]]:
    """Action → the titles of the tracks it touches, for the root row's summary."""
    return {action: [op.label for op in ops if op.action == action] for action in ACTIONS}


def _json(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def snapshot(track: Mapping[str, object]) -> dict[str, object]:
    """Every column of a track as JSON values."""
    return {k: _json(track.get(k)) for k in SNAPSHOT_COLUMNS}


def from_snapshot(saved: dict[str, Any]) -> dict[str, Any]:
    """Column values back from `snapshot()`."""
    values = {k: saved[k] for k in SNAPSHOT_COLUMNS if k in saved}
    if values.get("id"):
        values["id"] = uuid.UUID(str(values["id"]))
    for name in ("created_at", "updated_at"):
        if isinstance(values.get(name), str):
            values[name] = dt.datetime.fromisoformat(values[name])
    return values


async def track_artists(track_id: uuid.UUID) -> list[ArtistLink]:
    links = await TrackArtist.select(TrackArtist.artist, TrackArtist.role, TrackArtist.position).where(
        TrackArtist.track == track_id
    )
    return [
        {"artist": str(link["artist"]), "role": link["role"], "position": link["position"]} for link in links
    ]


async def write_track_ops(album_id: uuid.UUID, ops: list[TrackOp], *, sources: list[str]) -> list[int]:
    """Apply the ops inside the caller's transaction; returns the ids of their log rows.

    The caller holds the album's lock (versioned.lock_album) and read `op.track` under it.
    """
    log_ids: list[int] = []
    for op in ops:
        if op.action == "removed":
            assert op.track is not None
            op.metadata.setdefault("snapshot", snapshot(op.track))
            op.metadata.setdefault("artists", await track_artists(op.track["id"]))
            await Track.delete().where(Track.id == op.track["id"])
            log_ids.append(await _log(album_id, op.track["id"], op, sources))
    # Park every track that changes slot or recording first, so no final value meets a stale one.
    parked = 0
    for op in ops:
        if op.action != "changed" or op.track is None:
            continue
        park: ColumnUpdates = {}
        if {"disc_number", "track_number"} & set(op.values):
            parked += 1
            park[Track.track_number] = -parked
        if "musicbrainz_id" in op.values:
            park[Track.musicbrainz_id] = None
        if park:
            await Track.update(park).where(Track.id == op.track["id"])
    for op in ops:
        if op.action == "changed":
            assert op.track is not None
            await set_track(op.track, {getattr(Track, k): v for k, v in op.values.items()})
            log_ids.append(await _log(album_id, op.track["id"], op, sources))
    for op in ops:
        if op.action == "added":
            track_id = await _insert(album_id, op)
            log_ids.append(await _log(album_id, track_id, op, sources))
    return log_ids


async def _insert(album_id: uuid.UUID, op: TrackOp) -> uuid.UUID:
    values = {k: v for k, v in op.values.items() if k in SNAPSHOT_COLUMNS}
    values["title"] = str(values.get("title") or "").strip()[:500]
    row = Track(album=album_id, **values)
    await row.save()
    wanted = [uuid.UUID(link["artist"]) for link in op.artists]
    # An artist deleted since cannot be linked again; the track comes back without that credit.
    present = (
        {r["id"] for r in await Artist.select(Artist.id).where(Artist.id.is_in(wanted))} if wanted else set()
    )
    for link in op.artists:
        if uuid.UUID(link["artist"]) not in present:
            continue
        await TrackArtist.insert(
            TrackArtist(
                track=row.id, artist=uuid.UUID(link["artist"]), role=link["role"], position=link["position"]
            )
        ).on_conflict(action="DO NOTHING")
    return row.id


def _added_fields(op: TrackOp) -> dict[str, Any]:
    """What a new track's CREATED row carries beyond its changes: its quality and upstream ids."""
    if op.action != "added":
        return {}
    v = op.values
    ids = {
        "musicbrainz_recording_id": _json(v.get("musicbrainz_id")),
        "spotify_id": v.get("spotify_id"),
        "isrc": v.get("isrc"),
        "disc_number": v.get("disc_number"),
        "track_number": v.get("track_number"),
    }
    quality = track_quality(v.get("duration_ms"), v.get("musicbrainz_id"), v.get("isrc"))
    return {"data_quality_after": quality, "ids": ids}


async def _log(album_id: uuid.UUID, track_id: uuid.UUID, op: TrackOp, sources: list[str]) -> int:
    added = _added_fields(op)
    row = await record(
        entity_type="TRACK",
        entity_id=track_id,
        operation=op.operation,
        category=op.category,
        child=True,
        album_id=album_id,
        sources=sources,
        entity_label=op.label or None,
        changes=op.changes(),
        fields_enriched=sorted(op.changes()),
        data_quality_after=added.get("data_quality_after"),
        metadata={"action": op.action, **added.get("ids", {}), **op.metadata},
    )
    return int(row.id)
