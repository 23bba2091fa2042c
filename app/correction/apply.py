"""Apply a candidate to an album in one transaction: picked fields, picked tracks, one job in the log.

Rows written (all under the running job, the admin's request): one per added, changed or removed
track (children of the job), then the album's CORRECTED row with per-field `changes`, the
candidate and its score breakdown in `metadata`. A stale version raises VersionConflict and
nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.catalog.albums import VersionConflict, update_album
from app.catalog.rows import FieldChanges
from app.catalog.state import refresh_album_state
from app.catalog.tables import Album
from app.catalog.versioned import StaleVersion, lock_album, set_album
from app.correction.alignment import TrackPair, proposed_values
from app.correction.candidates import Candidate
from app.correction.current import CurrentAlbum, load_current
from app.correction.preview import Preview, build_preview, layout_clashes
from app.correction.scoring import Score
from app.correction.track_writes import TrackOp, track_titles, write_track_ops
from app.db import transaction
from app.llamalog.context import get_current_job
from app.llamalog.logger import record
from app.llamalog.summary import summarize
from app.not_found import NotFound


class ApplyError(ValueError):
    """The picks cannot be applied as they are (e.g. two tracks would share a slot)."""


@dataclass
class ApplyResult:
    album_id: uuid.UUID
    version: int
    job_id: str | None
    log_id: int | None
    fields: FieldChanges = field(default_factory=dict)
    tracks: dict[str, int] = field(default_factory=dict)
    track_log_ids: list[int] = field(default_factory=list)
    cover_job: str | None = None  # the cache_cover job queued after the commit

    @property
    def changed(self) -> bool:
        return bool(self.fields) or any(self.tracks.values())


async def release_owner(musicbrainz_id: str, album_id: uuid.UUID) -> dict[str, Any] | None:
    """Another album that already is this MusicBrainz release (the column is unique), or None."""
    return (
        await Album.select(Album.id, Album.title)
        .where((Album.musicbrainz_id == musicbrainz_id) & (Album.id != album_id))
        .first()
    )


def operation_path(candidate: Candidate) -> str:
    return candidate.source.lower()


def _track_ops(pairs: tuple[TrackPair, ...], take: frozenset[str], path: str) -> list[TrackOp]:
    ops: list[TrackOp] = []
    for pair in pairs:
        if pair.key not in take or pair.status == "unchanged":
            continue
        if pair.status == "removed":
            ops.append(TrackOp("removed", f"track:deleted:{path}", "CORRECTED", track=pair.current))
        elif pair.status == "changed":
            values = {k: change["after"] for k, change in pair.changes.items()}
            ops.append(
                TrackOp("changed", f"track:corrected:{path}", "CORRECTED", track=pair.current, values=values)
            )
        else:
            assert pair.proposed is not None
            ops.append(
                TrackOp("added", f"track:created:{path}", "CREATED", values=proposed_values(pair.proposed))
            )
    for op in ops:
        if op.action == "added" and not str(op.values.get("title") or "").strip():
            raise ApplyError(
                f"track {op.values.get('disc_number')}-{op.values.get('track_number')} has no title"
            )
    return _unique_recordings(pairs, take, ops)


def _unique_recordings(
    pairs: tuple[TrackPair, ...], take: frozenset[str], ops: list[TrackOp]
) -> list[TrackOp]:
    """A recording twice on one release (compilations do that) keeps its MBID on the first track only:
    an album holds each recording once."""
    used = {
        str(pair.current["musicbrainz_id"])
        for pair in pairs
        if pair.current is not None
        and pair.current.get("musicbrainz_id")
        and not (pair.key in take and pair.status in ("changed", "removed"))
    }
    for op in ops:
        mine = op.track["musicbrainz_id"] if op.track else None
        if op.action == "changed" and mine and "musicbrainz_id" not in op.values:
            used.add(str(mine))  # stays on its track
    kept: list[TrackOp] = []
    for op in ops:
        mbid = op.values.get("musicbrainz_id")
        if op.action != "removed" and mbid:
            if str(mbid) in used:
                del op.values["musicbrainz_id"]
            else:
                used.add(str(mbid))
        if op.action == "changed" and not op.values:
            continue
        kept.append(op)
    return kept


def _metadata(preview: Preview, candidate_score: Score, ops: list[TrackOp]) -> dict[str, Any]:
    candidate = preview.candidate
    return {
        "action": "correction",
        "candidate": {
            "key": candidate.key,
            "source": candidate.source,
            "external_id": candidate.external_id,
            "musicbrainz_id": candidate.musicbrainz_id,
            "discogs_id": candidate.discogs_id,
            "title": candidate.title,
            "artist_credit": candidate.artist_credit,
            "url": candidate.url,
        },
        "score": candidate_score.as_dict(),
        "locked_before": sorted(preview.album.locked),
        "tracks": {
            action: sum(1 for op in ops if op.action == action) for action in ("added", "changed", "removed")
        },
    }


async def apply_candidate(
    album_id: uuid.UUID,
    candidate: Candidate,
    *,
    expected_version: int,
    take_fields: set[str] | frozenset[str],
    take_tracks: set[str] | frozenset[str],
    candidate_score: Score | None = None,
    weights: Mapping[str, int] | None = None,
    why: dict[str, Any] | None = None,
) -> ApplyResult:
    """Write the picked fields and tracks of `candidate` onto the album, all or nothing."""
    async with transaction():
        # The preview is rebuilt from the album and tracks as they are under the lock: the `before`
        # of every row written here is the value it replaced.
        if await lock_album(album_id) is None:
            raise NotFound(f"There is no album {album_id}.")
        album = await load_current(album_id)
        if album.version != expected_version:
            raise VersionConflict(album.row, {"_version": expected_version})
        preview = build_preview(album, candidate, candidate_score, weights)
        unknown = set(take_fields) - {f.name for f in preview.fields}
        if unknown:
            raise ApplyError(f"not a field of the preview: {', '.join(sorted(unknown))}")
        fields = {f.name: f.proposed for f in preview.fields if f.name in take_fields and f.takeable}
        if fields.get("musicbrainz_id"):
            owner = await release_owner(fields["musicbrainz_id"], album_id)
            if owner is not None:
                raise ApplyError(
                    f"MusicBrainz release {fields['musicbrainz_id']} is already the album “{owner['title']}” "
                    f"({owner['id']}): untick the MusicBrainz ID or fix that album"
                )
        take = frozenset(take_tracks)
        clashes = layout_clashes(preview.tracks, take)
        if clashes:
            raise ApplyError("two tracks would share a slot: " + "; ".join(clashes))
        path = operation_path(candidate)
        ops = _track_ops(preview.tracks, take, path)
        metadata = {**_metadata(preview, preview.score, ops), **(why or {})}
        titles = track_titles(ops)
        track_log_ids = await write_track_ops(album_id, ops, sources=candidate.sources)
        update = await update_album(
            album_id,
            fields,
            expected_version=expected_version,
            operation=f"album:corrected:{path}",
            sources=candidate.sources,
            lock=True,
            metadata=metadata,
            track_titles=titles,
        )
        version, log_id = update.version, update.log_id
        if log_id is None and ops:
            version, log_id = await _tracks_only_row(
                album, expected_version, metadata, candidate.sources, path, titles
            )
        await refresh_album_state(album_id)
    ctx = get_current_job()
    return ApplyResult(
        album_id=album_id,
        version=version,
        job_id=ctx.job_id if ctx else None,
        log_id=log_id,
        fields=update.changed,
        tracks=metadata["tracks"],
        track_log_ids=track_log_ids,
    )


async def _tracks_only_row(
    album: CurrentAlbum,
    expected_version: int,
    metadata: dict[str, Any],
    sources: list[str],
    path: str,
    titles: dict[str, list[str]],
) -> tuple[int, int]:
    """Only tracks changed: still bump the album's version and give the job its album row."""
    try:
        version = await set_album(album.row, {})
    except StaleVersion as lost:
        raise VersionConflict(album.row, {"_version": expected_version}) from lost
    before, after = await refresh_album_state(album.id)
    summary = summarize(tracks=titles, quality_before=before, quality_after=after)
    row = await record(
        entity_type="ALBUM",
        entity_id=album.id,
        operation=f"album:corrected:{path}",
        category="CORRECTED",
        sources=sources,
        entity_label=album.row["title"],
        changes={},
        data_quality_before=before,
        data_quality_after=after,
        metadata={**metadata, "summary": summary},
    )
    return version, int(row.id)
