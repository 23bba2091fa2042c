"""Candidates found ahead: search and score an album of the fix queue, keep the best few.

Run per album by the `prefetch_candidates` job (queued by `refresh_fix_queue`, after every sync and
on the scheduler's tick). MusicBrainz is asked through the shared limiter like every other call.
An upstream error becomes the album's FAILED row (`album:failed:prefetch`) and the strength
`failed` ("no candidate yet"); the next round tries it again.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from app.catalog.tables import Album
from app.correction.candidates import Candidate
from app.correction.current import CurrentAlbum, load_current, load_many_current
from app.correction.matching import Matching, current_matching
from app.correction.scoring import Score, rank
from app.correction.search import SearchQuery, find_candidates
from app.correction.steps import default_query
from app.correction.stored import candidate_from, candidate_json
from app.correction.strength import Verdict, classify
from app.correction.tables import FixCandidate, FixMatch, MatchStrength
from app.db import transaction
from app.llamalog.context import get_current_job
from app.llamalog.logger import record

KEEP = 3  # candidates kept per album: the top one, the runner-up, one more


async def prefetch_album(album_id: uuid.UUID | str) -> Verdict | None:
    """Search, score and store the album's best candidates; None when it is gone or no longer broken."""
    try:
        album = await load_current(album_id)
    except LookupError:
        return None
    if not album.row.get("broken_reasons"):
        await forget_album(album_id)
        return None
    matching = await current_matching()
    outcome = await find_candidates(default_query(album, SearchQuery()))
    if outcome.failures and not outcome.candidates:
        source, code, message = outcome.failures[0]
        await _failed(album, matching, code, f"{source}: {message}")
        return Verdict(MatchStrength.failed)
    ranked = rank(album, outcome.candidates, matching.weights)
    return await store_ranked(album, ranked, matching)


async def store_ranked(
    album: CurrentAlbum, ranked: list[tuple[Candidate, Score]], matching: Matching
) -> Verdict:
    """Replace the album's stored candidates with the best KEEP of `ranked` and its match row."""
    kept = ranked[:KEEP]
    verdict = classify([s.total for _, s in kept], kept[0][0].source if kept else None, matching)
    async with transaction():
        await FixCandidate.delete().where(FixCandidate.album_id == album.id)
        if kept:
            await FixCandidate.insert(
                *[
                    FixCandidate(
                        album_id=album.id,
                        position=position,
                        candidate_key=candidate.key,
                        source=candidate.source,
                        title=candidate.title,
                        score=candidate_score.total,
                        breakdown=json.dumps(candidate_score.as_dict()),
                        candidate=candidate_json(candidate),
                    )
                    for position, (candidate, candidate_score) in enumerate(kept, start=1)
                ]
            )
        await _put_match(album, verdict, matching, len(kept))
    return verdict


async def _put_match(
    album: CurrentAlbum,
    verdict: Verdict,
    matching: Matching,
    count: int,
    *,
    error: tuple[str, str] | None = None,
) -> None:
    ctx = get_current_job()
    now = dt.datetime.now(dt.UTC)
    await FixMatch.delete().where(FixMatch.album_id == album.id)
    await FixMatch.insert(
        FixMatch(
            album_id=album.id,
            strength=verdict.strength,
            top_score=verdict.top,
            second_score=verdict.second,
            top_source=verdict.source,
            candidates=count,
            album_version=album.version,
            settings_version=matching.version,
            error_code=error[0][:50] if error else None,
            error_message=error[1] if error else None,
            job_id=uuid.UUID(ctx.job_id) if ctx else None,
            searched_at=now,
            scored_at=now,
        )
    )


async def _failed(album: CurrentAlbum, matching: Matching, code: str, message: str) -> None:
    async with transaction():
        await FixCandidate.delete().where(FixCandidate.album_id == album.id)
        await _put_match(album, Verdict(MatchStrength.failed), matching, 0, error=(code, message))
        await record(
            entity_type="ALBUM",
            entity_id=album.id,
            operation="album:failed:prefetch",
            category="FAILED",
            status="FAILED",
            sources=["MUSICBRAINZ"],
            entity_label=album.row.get("title"),
            error_code=code[:50],
            error_message=message[:2000],
            reason="finding candidates ahead failed upstream; the next round tries again",
        )


async def forget_album(album_id: uuid.UUID | str) -> None:
    async with transaction():
        await FixCandidate.delete().where(FixCandidate.album_id == album_id)
        await FixMatch.delete().where(FixMatch.album_id == album_id)


@dataclass
class Stale:
    unsearched: list[uuid.UUID] = field(default_factory=list)  # no match row yet, or the search failed
    changed: list[uuid.UUID] = field(default_factory=list)  # the album moved on since it was scored

    def __bool__(self) -> bool:
        return bool(self.unsearched or self.changed)


async def stale_albums(limit: int = 5000) -> Stale:
    """Broken albums to search (never searched, or failed) and to re-score (a newer album version)."""
    rows = await Album.select(Album.id, Album.version).where(Album.broken_reasons != "").limit(limit)
    stale = Stale()
    if not rows:
        return stale
    matched = {
        m["album_id"]: m
        for m in await FixMatch.select(FixMatch.album_id, FixMatch.album_version, FixMatch.strength).where(
            FixMatch.album_id.is_in([r["id"] for r in rows])
        )
    }
    for row in rows:
        match = matched.get(row["id"])
        if match is None or match["strength"] == MatchStrength.failed:
            stale.unsearched.append(row["id"])
        elif match["album_version"] != row["version"]:
            stale.changed.append(row["id"])
    return stale


async def rescore_albums(album_ids: list[uuid.UUID]) -> int:
    """Score the stored candidates again against the albums as they are now (no upstream call)."""
    if not album_ids:
        return 0
    matching = await current_matching()
    albums = await load_many_current(album_ids)
    stored: dict[uuid.UUID, list[Candidate]] = {}
    for row in (
        await FixCandidate.select(FixCandidate.album_id, FixCandidate.candidate)
        .where(FixCandidate.album_id.is_in(album_ids))
        .order_by(FixCandidate.position)
    ):
        stored.setdefault(row["album_id"], []).append(candidate_from(row["candidate"]))
    for album_id, album in albums.items():
        if not album.row.get("broken_reasons"):
            await forget_album(album_id)
            continue
        await store_ranked(album, rank(album, stored.get(album_id, []), matching.weights), matching)
    return len(albums)


async def drop_fixed() -> int:
    """Match rows of albums no longer in the queue (fixed, deleted): removed with their candidates."""
    gone = [
        r["album_id"]
        for r in await FixMatch.select(FixMatch.album_id).where(
            FixMatch.album_id.not_in(Album.select(Album.id).where(Album.broken_reasons != ""))
        )
    ]
    for album_id in gone:
        await forget_album(album_id)
    return len(gone)


async def queue_stale() -> int:
    """Re-score albums that changed since; send a `prefetch_candidates` child job for every album
    never searched (or whose search failed); returns how many were sent."""
    from app.jobs.actors import ActorName
    from app.jobs.launch import enqueue_child
    from app.jobs.progress import job_progress

    await drop_fixed()
    stale = await stale_albums()
    await rescore_albums(stale.changed)
    for done, album_id in enumerate(stale.unsearched, start=1):
        await enqueue_child(ActorName.PREFETCH_CANDIDATES, str(album_id))
        await job_progress(done, len(stale.unsearched))
    return len(stale.unsearched)
