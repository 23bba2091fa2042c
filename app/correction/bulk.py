"""Bulk apply: the top stored candidate of every selected strong match, reviewed first, then one job.

`preview_batch` shows per album the fields and tracks it gets (the preview's default picks: gaps
filled, locked fields kept; "ask" and "no candidate" albums are listed as not taken). `start_batch`
writes one BulkItem per album with the version the preview saw, then queues the `bulk_apply` job.
`run_batch` (that job) applies each album in a transaction of its own, as a child job carrying the
admin's user; the item turns `applied` in that same transaction, so a run delivered again after a
kill -9 skips it: no album is applied twice. An album whose version moved since the preview is
skipped as a conflict, with its FAILED row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.catalog.albums import VersionConflict
from app.catalog.tables import Album
from app.correction.apply import ApplyError, apply_candidate
from app.correction.candidates import Candidate
from app.correction.current import CurrentAlbum, load_many_current
from app.correction.failed import record_failed_correction
from app.correction.matching import Matching, current_matching
from app.correction.prefetch import rescore_albums
from app.correction.preview import Preview, build_preview
from app.correction.scoring import Score, lost_against, score_from_dict
from app.correction.stored import candidate_from, loads
from app.correction.strength import Verdict
from app.correction.tables import BulkItem, BulkItemStatus, FixCandidate, FixMatch, MatchStrength
from app.db import engine, transaction
from app.jobs.tables import Job
from app.llamalog.context import JobContext, get_current_job, job_scope

MAX_BATCH = 5000
PARALLEL = 4  # albums applied side by side on Postgres
CHILD_KIND = "bulk_apply_album"


@dataclass(frozen=True)
class BulkAlbum:
    """One album of the batch as the preview shows it."""

    album_id: uuid.UUID
    title: str
    version: int
    candidate: Candidate
    score: Score
    words: str
    fields: list[tuple[str, str, object, object]]  # name, label, now, after
    tracks: dict[str, int]  # added / changed
    locked: list[str]
    take_fields: list[str]
    take_tracks: list[str]


@dataclass
class BatchPreview:
    albums: list[BulkAlbum] = field(default_factory=list)
    not_taken: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)  # id, title, why


@dataclass(frozen=True)
class Top:
    candidate: Candidate
    score: Score
    runner_up: dict[str, object] | None


async def _tops(album_ids: list[uuid.UUID]) -> dict[uuid.UUID, Top]:
    rows = (
        await FixCandidate.select()
        .where(FixCandidate.album_id.is_in(album_ids) & (FixCandidate.position <= 2))
        .order_by(FixCandidate.position)
    )
    first: dict[uuid.UUID, dict[str, Any]] = {}
    second: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        (first if row["position"] == 1 else second)[row["album_id"]] = row
    tops = {}
    for album_id, row in first.items():
        top_score = score_from_dict(loads(row["breakdown"]) or {})
        runner = second.get(album_id)
        runner_up: dict[str, object] | None = None
        if runner is not None:
            runner_score = score_from_dict(loads(runner["breakdown"]) or {})
            runner_up = {
                "key": runner["candidate_key"],
                "title": runner["title"],
                "score": runner_score.as_dict(),
                "lost": [vars(loss) | {"lost": loss.lost} for loss in lost_against(top_score, runner_score)],
            }
        tops[album_id] = Top(candidate_from(row["candidate"]), top_score, runner_up)
    return tops


async def _owned_mbids(mbids: list[str]) -> dict[str, uuid.UUID]:
    if not mbids:
        return {}
    rows = await Album.select(Album.id, Album.musicbrainz_id).where(Album.musicbrainz_id.is_in(mbids))
    return {r["musicbrainz_id"]: r["id"] for r in rows}


def _album_entry(
    album: CurrentAlbum, top: Top, preview: Preview, words: str, owned: dict[str, uuid.UUID]
) -> BulkAlbum:
    taken = [f for f in preview.fields if f.take]
    mbid = next((f for f in taken if f.name == "musicbrainz_id"), None)
    if mbid is not None and owned.get(mbid.proposed) not in (None, album.id):
        taken = [f for f in taken if f is not mbid]  # another album is that release: never in bulk
    take_tracks = sorted(preview.take_tracks)
    by_key = {pair.key: pair.status for pair in preview.tracks}
    counts = {"added": 0, "changed": 0}
    for key in take_tracks:
        if by_key.get(key) in counts:
            counts[by_key[key]] += 1
    return BulkAlbum(
        album_id=album.id,
        title=str(album.row.get("title") or ""),
        version=album.version,
        candidate=top.candidate,
        score=top.score,
        words=words,
        fields=[(f.name, f.label, f.current, f.proposed) for f in taken],
        tracks=counts,
        locked=sorted(f.name for f in preview.fields if f.locked and f.status == "change"),
        take_fields=[f.name for f in taken],
        take_tracks=take_tracks,
    )


async def preview_batch(album_ids: list[uuid.UUID], matching: Matching | None = None) -> BatchPreview:
    """Per selected album: what bulk apply would write, or why it is not taken."""
    matching = matching or await current_matching()
    album_ids = list(dict.fromkeys(album_ids))[:MAX_BATCH]
    matches = (
        {m["album_id"]: m for m in await FixMatch.select().where(FixMatch.album_id.is_in(album_ids))}
        if album_ids
        else {}
    )
    albums = await load_many_current(album_ids)
    moved = [
        album_id
        for album_id, match in matches.items()
        if album_id in albums
        and match["strength"] != MatchStrength.failed
        and match["album_version"] != albums[album_id].version
    ]
    if moved:  # changed since they were scored: score them again on what they are now
        await rescore_albums(moved)
        matches.update(
            {m["album_id"]: m for m in await FixMatch.select().where(FixMatch.album_id.is_in(moved))}
        )
    tops = await _tops(album_ids) if album_ids else {}
    owned = await _owned_mbids(
        sorted({t.candidate.musicbrainz_id for t in tops.values() if t.candidate.musicbrainz_id})
    )
    out = BatchPreview()
    owned = dict(owned)
    for album_id in album_ids:
        album, match, top = albums.get(album_id), matches.get(album_id), tops.get(album_id)
        if album is None:
            continue
        title = str(album.row.get("title") or "")
        verdict = Verdict(
            MatchStrength(match["strength"]) if match else MatchStrength.none,
            match["top_score"] if match else None,
            match["second_score"] if match else None,
            match["top_source"] if match else None,
        )
        if match is None or top is None or verdict.strength != MatchStrength.strong:
            out.not_taken.append((album_id, title, verdict.words(matching) if match else "no candidate yet"))
            continue
        if match["album_version"] != album.version:
            out.not_taken.append((album_id, title, "changed since its candidates were found (refreshing)"))
            continue
        preview = build_preview(album, top.candidate, top.score)
        entry = _album_entry(album, top, preview, verdict.words(matching), owned)
        if not entry.take_fields and not entry.take_tracks:
            out.not_taken.append((album_id, title, "nothing to take: no gap the candidate fills"))
            continue
        out.albums.append(entry)
        if "musicbrainz_id" in entry.take_fields and top.candidate.musicbrainz_id:
            owned[top.candidate.musicbrainz_id] = album_id  # one album per release, in a batch too
    return out


async def start_batch(
    entries: list[tuple[uuid.UUID, int]], *, user_id: int | None, username: str | None
) -> str:
    """Queue the bulk apply of `(album id, version seen in the preview)`; returns the job id.

    Each album is re-read now: picks are the preview's, but an album whose version moved since the
    preview is written as it came and will be skipped as a conflict when the job reaches it.
    """
    from app.jobs.actors import ActorName
    from app.jobs.launch import enqueue

    preview = await preview_batch([album_id for album_id, _ in entries])
    seen = dict(entries)
    batch_id = uuid.uuid4()
    items = [
        BulkItem(
            batch_id=batch_id,
            album_id=a.album_id,
            album_version=seen.get(a.album_id, a.version),
            candidate_key=a.candidate.key,
            take_fields=json.dumps(a.take_fields),
            take_tracks=json.dumps(a.take_tracks),
        )
        for a in preview.albums
    ]
    if not items:
        raise ValueError("no strong match among the selected albums: nothing to apply")
    async with transaction():
        await BulkItem.insert(*items)
    return await enqueue(
        ActorName.BULK_APPLY, [str(batch_id)], triggered_by="user", user_id=user_id, username=username
    )


@dataclass
class BatchOutcome:
    applied: int = 0
    conflicts: int = 0
    failed: int = 0
    skipped: int = 0  # already done by an earlier delivery of the same job


async def _child_job(child_id: str, parent: JobContext, album_id: uuid.UUID) -> None:
    now = dt.datetime.now(dt.UTC)
    await Job.insert(
        Job(
            job_id=uuid.UUID(child_id),
            kind=CHILD_KIND,
            actor=None,
            args=json.dumps([str(album_id)]),
            parent_job_id=uuid.UUID(parent.job_id),
            root_job_id=uuid.UUID(parent.root_job_id),
            triggered_by=parent.triggered_by,
            user_id=parent.user_id,
            username=parent.username,
            status="succeeded",
            progress_done=1,
            progress_total=1,
            albums_updated=1,
            created_at=now,
            started_at=now,
            finished_at=now,
        )
    )


async def _mark(item_id: int, status: BulkItemStatus, message: str | None, log_id: int | None = None) -> None:
    await BulkItem.update(
        {BulkItem.status: status, BulkItem.message: message, BulkItem.log_id: log_id}
    ).where((BulkItem.id == item_id) & (BulkItem.status == BulkItemStatus.pending))


async def _apply_item(
    item: dict[str, Any], top: Top | None, matching: Matching, parent: JobContext
) -> BulkItemStatus:
    fields, tracks = set(loads(item["take_fields"]) or ()), set(loads(item["take_tracks"]) or ())
    if top is None or top.candidate.key != item["candidate_key"]:
        await _mark(item["id"], BulkItemStatus.conflict, "its candidates changed since the preview")
        return BulkItemStatus.conflict
    child = parent.child()
    try:
        with job_scope(child):
            async with transaction():
                # Claimed in the same transaction as the change: a second delivery finds it applied.
                state = await BulkItem.select(BulkItem.status).where(BulkItem.id == item["id"]).first()
                if state is None or state["status"] != BulkItemStatus.pending:
                    return BulkItemStatus.unchanged
                await _child_job(child.job_id, parent, item["album_id"])
                result = await apply_candidate(
                    item["album_id"],
                    top.candidate,
                    expected_version=int(item["album_version"]),
                    take_fields=fields,
                    take_tracks=tracks,
                    candidate_score=top.score,
                    why={"bulk_job_id": parent.job_id, "runner_up": top.runner_up}
                    if top.runner_up
                    else {"bulk_job_id": parent.job_id},
                )
                status = BulkItemStatus.applied if result.changed else BulkItemStatus.unchanged
                await BulkItem.update(
                    {
                        BulkItem.status: status,
                        BulkItem.log_id: result.log_id,
                        BulkItem.job_id: uuid.UUID(child.job_id),
                    }
                ).where(BulkItem.id == item["id"])
        return status
    except VersionConflict as exc:
        with job_scope(child):
            await record_failed_correction(
                item["album_id"], item["candidate_key"], exc, take_fields=fields, take_tracks=tracks
            )
        await _mark(
            item["id"],
            BulkItemStatus.conflict,
            f"changed since the preview (version {item['album_version']} → {exc.current.get('version')})",
        )
        return BulkItemStatus.conflict
    except (ApplyError, LookupError) as exc:
        with job_scope(child):
            await record_failed_correction(
                item["album_id"], item["candidate_key"], exc, take_fields=fields, take_tracks=tracks
            )
        await _mark(item["id"], BulkItemStatus.failed, str(exc)[:500])
        return BulkItemStatus.failed


async def run_batch(batch_id: str | uuid.UUID) -> BatchOutcome:
    """Apply every pending album of the batch (the `bulk_apply` job); safe to run again."""
    from app.jobs.progress import job_count, job_progress

    parent = get_current_job()
    if parent is None:
        raise RuntimeError("run_batch runs inside a job")
    items = await BulkItem.select().where(BulkItem.batch_id == batch_id).order_by(BulkItem.id)
    matching = await current_matching()
    tops = await _tops([i["album_id"] for i in items]) if items else {}
    outcome = BatchOutcome()
    total = len(items)
    done = 0

    async def one(item: dict[str, Any]) -> None:
        nonlocal done
        if item["status"] != BulkItemStatus.pending:
            outcome.skipped += 1
        else:
            status = await _apply_item(item, tops.get(item["album_id"]), matching, parent)
            if status == BulkItemStatus.applied:
                outcome.applied += 1
                await job_count(albums_updated=1)
            elif status == BulkItemStatus.conflict:
                outcome.conflicts += 1
                await job_count(albums_skipped=1)
            elif status == BulkItemStatus.failed:
                outcome.failed += 1
                await job_count(failures=1)
        done += 1
        await job_progress(done, total)

    # Albums are independent transactions: on Postgres a few run side by side (each its own
    # connection); SQLite takes one writer at a time anyway.
    width = PARALLEL if engine().engine_type == "postgres" else 1
    for start in range(0, total, width):
        await asyncio.gather(*(one(item) for item in items[start : start + width]))
    return outcome


async def batch_items(job_id: str | uuid.UUID) -> list[dict[str, Any]]:
    """The albums of the bulk apply run `job_id`, with what became of each."""
    job = await Job.select(Job.args).where(Job.job_id == job_id).output(load_json=True).first()
    if job is None or not job["args"]:
        return []
    batch_id = job["args"][0]
    rows = await BulkItem.select().where(BulkItem.batch_id == batch_id).order_by(BulkItem.id)
    titles = (
        {
            r["id"]: r["title"]
            for r in await Album.select(Album.id, Album.title).where(
                Album.id.is_in([r["album_id"] for r in rows])
            )
        }
        if rows
        else {}
    )
    for row in rows:
        row["title"] = titles.get(row["album_id"], "(deleted)")
    return rows


__all__ = ["BatchPreview", "BulkAlbum", "preview_batch", "start_batch", "run_batch", "batch_items"]
